import { Effect } from "effect"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Worker } from "node:worker_threads"
import { packageFile } from "../../config/packageFile.js"
import type { PageInput, PageOutput } from "./processPage.js"

export interface PagePoolOptions {
  /** Worker threads at most (started as pages need them). */
  readonly workers: number
  /** CPU time one page may take; past it its worker is terminated and replaced. */
  readonly budgetMs: number
}

interface Task {
  readonly id: number
  readonly input: PageInput
  readonly resume: (output: Effect.Effect<PageOutput>) => void
}

interface Slot {
  readonly worker: Worker
  ready: boolean
  /** Linux thread id of the worker, whose CPU time /proc tells. */
  tid: number | undefined
  task: Task | undefined
  /** The worker's CPU time (or, without /proc, the clock) when the task started. */
  startedAt: number
  timer: ReturnType<typeof setTimeout> | undefined
}

export type PagePoolStatus = "idle" | "running" | "inline"

/** The worker, in TypeScript through tsx's loader as the rest of the program runs, or compiled. */
const spawn = (): Worker => {
  const compiled = !import.meta.url.endsWith(".ts")
  const entry = compiled ? pathToFileURL(packageFile("dist", "bin", "pageWorkerMain.js")) : new URL("./pageWorkerMain.ts", import.meta.url)
  if (compiled) return new Worker(entry)
  const tsxApi = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve("tsx/esm/api")), "index.mjs")).href
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}) })`, {
    eval: true
  })
}

// Linux counts thread CPU time in clock ticks of 10 ms (USER_HZ is 100 on every architecture Node runs on).
const TICK_MS = 10

/** CPU time (user + system) of one of this process's threads, in milliseconds; undefined without /proc. */
const threadCpuMs = (tid: number): number | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, "latin1")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS
  } catch {
    return undefined
  }
}

/** Pages on this thread, only when no worker can run: the parsers are loaded then, not by every program. */
const processInline = (input: PageInput): Effect.Effect<PageOutput> =>
  Effect.map(
    Effect.promise(() => import("./processPage.js")),
    ({ processPage }) => processPage(input)
  )

const overBudget = (input: PageInput, budgetMs: number): PageOutput => ({
  _tag: "Unusable",
  reason: "ExtractionTimeout",
  message: `${input.url}: processing the page took more than ${budgetMs} ms of CPU time; abandoned`
})

/**
 * Decoding, text extraction and link finding for fetched pages in a pool of worker threads: parsing HTML is most
 * of the scraper's CPU, and on the main thread it would hold up the network I/O that paces every request (and the
 * other stages). One page per worker at a time, each under a CPU-time budget (the worker's own thread time on
 * Linux, else the clock): a page past it has its worker terminated and replaced and is answered
 * `ExtractionTimeout`, so one hostile page never holds up the others for long. Workers are unreferenced while
 * idle and terminated with the scope; if none can be started, pages are processed on this thread.
 */
export const makePagePool = (options: PagePoolOptions) =>
  Effect.gen(function* () {
    const size = Math.max(1, options.workers)
    const slots = new Set<Slot>()
    const queue: Array<Task> = []
    let nextId = 0
    let inline = false
    let closed = false

    const usage = (slot: Slot) => {
      const cpu = slot.tid === undefined ? undefined : threadCpuMs(slot.tid)
      return cpu ?? performance.now()
    }

    const goInline = () => {
      inline = true
      for (const task of queue.splice(0)) task.resume(processInline(task.input))
    }

    const finish = (slot: Slot) => {
      if (slot.timer !== undefined) clearTimeout(slot.timer)
      slot.timer = undefined
      slot.task = undefined
      slot.worker.unref()
    }

    const watch = (slot: Slot, waitMs: number) => {
      slot.timer = setTimeout(() => {
        const task = slot.task
        if (!task) return
        const used = usage(slot) - slot.startedAt
        if (used < options.budgetMs) return watch(slot, Math.max(TICK_MS, options.budgetMs - used))
        retire(slot)
        task.resume(Effect.succeed(overBudget(task.input, options.budgetMs)))
        pump()
      }, waitMs)
    }

    const dispatch = (slot: Slot, task: Task) => {
      slot.task = task
      slot.startedAt = usage(slot)
      slot.worker.ref()
      slot.worker.postMessage({ id: task.id, input: task.input })
      watch(slot, options.budgetMs)
    }

    const pump = () => {
      if (closed) return
      for (const slot of slots) {
        if (queue.length === 0) return
        if (slot.ready && slot.task === undefined) dispatch(slot, queue.shift()!)
      }
      if (queue.length > 0 && slots.size < size && [...slots].every((s) => s.ready)) start()
    }

    /** Out of the pool: terminated, its task (if any) left to the caller to answer. */
    const retire = (slot: Slot) => {
      if (!slots.delete(slot)) return
      if (slot.timer !== undefined) clearTimeout(slot.timer)
      slot.task = undefined
      void slot.worker.terminate()
    }

    const start = () => {
      let worker: Worker
      try {
        worker = spawn()
      } catch {
        if (slots.size === 0) goInline()
        return
      }
      const slot: Slot = { worker, ready: false, tid: undefined, task: undefined, startedAt: 0, timer: undefined }
      slots.add(slot)
      worker.unref()
      worker.on("message", (message: { ready?: boolean; tid?: number; id?: number; output?: PageOutput }) => {
        if (message.ready) {
          slot.ready = true
          slot.tid = message.tid
          return pump()
        }
        const task = slot.task
        if (!task || task.id !== message.id) return
        finish(slot)
        task.resume(Effect.succeed(message.output!))
        pump()
      })
      const died = (cause: unknown) => {
        if (!slots.has(slot)) return
        const { task, ready } = slot
        retire(slot)
        task?.resume(
          Effect.succeed({ _tag: "Unusable", reason: "Unknown", message: `${task.input.url}: the page worker stopped (${String(cause)})` })
        )
        // A worker that cannot even start will not start next time either: this thread does the work.
        if (!ready && slots.size === 0) goInline()
        else pump()
      }
      worker.on("error", died)
      worker.on("exit", (code) => died(`exit code ${code}`))
    }

    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        closed = true
        const workers = [...slots].map((slot) => slot.worker)
        for (const slot of slots) if (slot.timer !== undefined) clearTimeout(slot.timer)
        slots.clear()
        await Promise.all(workers.map((w) => w.terminate()))
      })
    )

    const run = (input: PageInput): Effect.Effect<PageOutput> =>
      Effect.suspend(() => {
        if (inline || closed) return processInline(input)
        return Effect.async<PageOutput>((resume) => {
          const task: Task = { id: nextId++, input, resume }
          queue.push(task)
          pump()
          return Effect.sync(() => {
            const queued = queue.indexOf(task)
            if (queued >= 0) queue.splice(queued, 1)
            // Already in a worker: its answer is simply not waited for (the slot frees when it comes).
          })
        })
      })

    return {
      run,
      status: (): PagePoolStatus => (inline ? "inline" : slots.size === 0 ? "idle" : "running"),
      /** Workers alive (started or starting). */
      workers: () => slots.size
    }
  })

export type PagePool = Effect.Effect.Success<ReturnType<typeof makePagePool>>
