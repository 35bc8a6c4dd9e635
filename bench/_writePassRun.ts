/**
 * The writing pass of one run, for bench/ingest.ts: argv[2] is the CSV; the database comes from the environment
 * (DATABASE_URL, or the embedded one). The run is `pnpm pipeline --only load,clean`: the declared pipeline and
 * layer, so what it does after validating is what that command does (the run and its stages recorded, every
 * rejected and duplicate line written to rejected_rows, the per-company stages it does not need left out).
 * Prints one JSON line: the run's own validation pass and everything after it, in seconds, and the counts.
 */
import { ConfigProvider, Deferred, Effect, Layer, LogLevel, Stream, Tracer } from "effect"
import { readInput } from "../src/pipeline/definePipeline.js"
import { Pipeline } from "../src/pipeline/Pipeline.js"
import { PipelineLayer } from "../src/pipeline/PipelineLayer.js"
import { defaultPipelineOptions } from "../src/pipeline/PipelineOptions.js"
import { runPipeline } from "../src/pipeline/runPipeline.js"
import { loggerLayer } from "../src/process/Logging.js"
import { IngestReport } from "../src/stages/clean/IngestReport.js"
import { RejectedRowsStore } from "../src/stages/clean/RejectedRowsStore.js"

const file = process.argv[2]!
const timed = ["pipeline.validate", "pipeline.run"] as const

/** The native tracer, noting when the run and its validation pass end (their spans are the runner's own). */
const endTimes = (native: Tracer.Tracer, ends: Map<string, bigint>) =>
  Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const span = native.span(name, parent, context, links, startTime, kind, options)
      if (!(timed as ReadonlyArray<string>).includes(name)) return span
      const end = span.end.bind(span)
      span.end = (endTime, exit) => {
        ends.set(name, endTime)
        ends.set(`${name}.start`, startTime)
        end(endTime, exit)
      }
      return span
    },
    context: (f, fiber) => native.context(f, fiber)
  })

const program = Effect.gen(function* () {
  // A pass of its own first: the counts to check against, and the code warm for both of the run's passes alike.
  const warmUpStarted = performance.now()
  const report = yield* Stream.runFold(readInput(Pipeline, { path: file }), new IngestReport(), (r, o) => {
    r.add(o)
    return r
  })
  const coldValidationSeconds = (performance.now() - warmUpStarted) / 1000
  const ends = new Map<string, bigint>()
  const summary = yield* runPipeline(
    Pipeline,
    { ...defaultPipelineOptions, input: file, only: ["load", "clean"] },
    { mode: "json", shutdown: yield* Deferred.make<void>() }
  ).pipe(Effect.withTracer(endTimes(yield* Effect.tracer, ends)))
  if (summary._tag !== "Completed") throw new Error("expected a completed run")
  const written = yield* Effect.flatMap(RejectedRowsStore, (s) => s.listByRun(summary.runId, { limit: 1, offset: 0 }))
  const validateStart = ends.get("pipeline.validate.start")!
  const validateEnd = ends.get("pipeline.validate")!
  return {
    rows: report.read,
    rejectedAndDuplicates: report.rejected + report.duplicates,
    written: written.total,
    coldValidationSeconds,
    validationSeconds: Number(validateEnd - validateStart) / 1e9,
    // Everything the run does once its input is validated: lock, run row, the writing pass, its end, the lock's release.
    writeSeconds: Number(ends.get("pipeline.run")! - validateEnd) / 1e9
  }
})

const config = Layer.setConfigProvider(ConfigProvider.fromEnv())
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
