import { Effect } from "effect"
import { Worker } from "node:worker_threads"

/** The fake LLM server in a worker thread: like a real remote server, its work does not slow the client. */
export const startFakeLlmInWorker = (latencyMs: number) =>
  Effect.acquireRelease(
    Effect.async<{ worker: Worker; url: string }>((resume) => {
      const entry = new URL("./_fakeLlmWorker.ts", import.meta.url).href
      const worker = new Worker(
        `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(entry)}) })`,
        { eval: true, workerData: { latencyMs } }
      )
      worker.once("message", (m: { url: string }) => resume(Effect.succeed({ worker, url: m.url })))
      worker.once("error", (error) => resume(Effect.die(error)))
    }),
    ({ worker }) => Effect.promise(() => worker.terminate())
  ).pipe(
    Effect.map(({ worker, url }) => ({
      url,
      stats: Effect.async<{ calls: number; maxInFlight: number }>((resume) => {
        worker.once("message", (m: { calls: number; maxInFlight: number }) => resume(Effect.succeed(m)))
        worker.postMessage({ type: "calls" })
      })
    }))
  )
