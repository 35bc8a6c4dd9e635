/**
 * One pipeline run in this process, for bench/pipeline.ts: argv[2] is JSON `{ env, options }`. Prints one
 * JSON line: the run's own wall time (process start-up excluded), peak RSS and the summary's counts.
 */
import { ConfigProvider, Deferred, Effect, Layer, LogLevel } from "effect"
import { loggerLayer } from "../src/process/Logging.js"
import { PipelineLayer } from "../src/pipeline/PipelineLayer.js"
import { defaultPipelineOptions, type PipelineOptions } from "../src/pipeline/PipelineOptions.js"
import { Pipeline } from "../src/pipeline/Pipeline.js"
import { runPipeline } from "../src/pipeline/runPipeline.js"

const { env, options } = JSON.parse(process.argv[2]!) as { env: Record<string, string>; options: Partial<PipelineOptions> }

const program = Effect.gen(function* () {
  const shutdown = yield* Deferred.make<void>()
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const summary = yield* runPipeline(Pipeline, { ...defaultPipelineOptions, ...options }, { mode: "json", shutdown, progressIntervalMs: 60_000 })
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapAfterGcMb: (globalThis as { gc?: () => void }).gc ? ((globalThis as { gc: () => void }).gc(), process.memoryUsage().heapUsed / 1e6) : null,
    stages: summary._tag === "Completed" ? summary.stages : null,
    status: summary._tag === "Completed" ? summary.status : "dry-run"
  }
})

const config = Layer.setConfigProvider(ConfigProvider.orElse(ConfigProvider.fromMap(new Map(Object.entries(env))), () => ConfigProvider.fromEnv()))

Effect.runPromise(
  program.pipe(Effect.provide(PipelineLayer), Effect.provide(loggerLayer("json", LogLevel.Warning)), Effect.provide(config))
).then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + "\n")
    process.exit(0)
  },
  (error) => {
    process.stderr.write(`${error}\n`)
    process.exit(1)
  }
)
