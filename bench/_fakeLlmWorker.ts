/** The fake LLM server in its own thread, so the bench measures the client alone (as with a real remote server). */
import { Effect } from "effect"
import { parentPort, workerData } from "node:worker_threads"
import { startFakeLlmServer } from "../test/support/fakeLlmServer.js"

const { latencyMs } = workerData as { latencyMs: number }

await Effect.runPromise(
  Effect.scoped(
    Effect.gen(function* () {
      const server = yield* startFakeLlmServer({ latencyMs })
      parentPort!.postMessage({ type: "ready", url: server.url })
      yield* Effect.async<void>((resume) => {
        parentPort!.on("message", (message: { type: string }) => {
          if (message.type === "calls") parentPort!.postMessage({ type: "calls", calls: server.calls(), maxInFlight: server.maxInFlight() })
          if (message.type === "stop") resume(Effect.void)
        })
      })
    })
  )
)
