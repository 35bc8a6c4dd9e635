import { Effect } from "effect"
import { createRequire } from "node:module"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Worker } from "node:worker_threads"
import { type PageInput, type PageOutput, processPage } from "./processPage.js"

interface Task {
  readonly input: PageInput
  readonly resume: (output: Effect.Effect<PageOutput>) => void
}

interface Shared {
  readonly worker: Worker | undefined
  readonly tasks: Map<number, Task>
  nextId: number
  broken: boolean
}

let shared: Shared | undefined

/** The worker, in TypeScript through tsx's loader as the rest of the program runs, or compiled. */
const spawn = (): Worker => {
  const compiled = !import.meta.url.endsWith(".ts")
  const entry = new URL(compiled ? "./pageWorkerMain.js" : "./pageWorkerMain.ts", import.meta.url)
  if (compiled) return new Worker(entry)
  const tsxApi = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve("tsx/esm/api")), "index.mjs")).href
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}) })`, {
    eval: true
  })
}

const inline = (input: PageInput) => Effect.sync(() => processPage(input))

/** Started on first use; should it fail to start or die, its tasks (and all later ones) run in this thread. */
const sharedWorker = (): Shared => {
  if (shared) return shared
  let worker: Worker
  try {
    worker = spawn()
  } catch {
    shared = { worker: undefined, tasks: new Map(), nextId: 0, broken: true }
    return shared
  }
  const state: Shared = { worker, tasks: new Map(), nextId: 0, broken: false }
  const giveUp = () => {
    if (state.broken) return
    state.broken = true
    for (const task of state.tasks.values()) task.resume(inline(task.input))
    state.tasks.clear()
  }
  worker.on("message", ({ id, output }: { id: number; output: PageOutput }) => {
    const task = state.tasks.get(id)
    state.tasks.delete(id)
    if (state.tasks.size === 0) worker.unref()
    task?.resume(Effect.succeed(output))
  })
  worker.on("error", giveUp)
  worker.on("exit", giveUp)
  worker.unref()
  shared = state
  return state
}

/**
 * Decoding, text extraction and link finding for a fetched page, in a worker thread shared by the process:
 * parsing HTML is most of the scraper's CPU, and on the main thread it would hold up the network I/O that
 * paces every request (and the other stages). Unreferenced while idle, so it never keeps the process alive.
 */
export const runPage = (input: PageInput): Effect.Effect<PageOutput> =>
  Effect.async<PageOutput>((resume) => {
    const state = sharedWorker()
    const worker = state.worker
    if (state.broken || worker === undefined) return resume(inline(input))
    const id = state.nextId++
    state.tasks.set(id, { input, resume })
    if (state.tasks.size === 1) worker.ref()
    worker.postMessage({ id, input })
    return Effect.sync(() => {
      state.tasks.delete(id)
      if (state.tasks.size === 0) worker.unref()
    })
  })

/** Whether pages go to the worker thread (for tests and diagnostics). */
export const pageWorkerStatus = (): "not started" | "running" | "failed" =>
  shared === undefined ? "not started" : shared.broken ? "failed" : "running"
