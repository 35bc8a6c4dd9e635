/**
 * The writing pass of one run, for bench/ingest.ts: argv[2] is the CSV; the database comes from the environment
 * (DATABASE_URL, or the embedded one). The pipeline declared here has only the input stages, so what the run
 * does after validating is exactly the writing pass: the run and its stages recorded, every rejected and
 * duplicate line written to rejected_rows. Prints one JSON line: the validation pass's and the writing pass's
 * seconds, and the counts.
 */
import { ConfigProvider, Deferred, Effect, Layer, LogLevel, Stream } from "effect"
import { DatabaseLive } from "../src/db/Database.js"
import { definePipeline, readInput } from "../src/pipeline/definePipeline.js"
import { clean, load } from "../src/pipeline/Pipeline.js"
import { defaultPipelineOptions } from "../src/pipeline/PipelineOptions.js"
import { runPipeline } from "../src/pipeline/runPipeline.js"
import { RunStore } from "../src/pipeline/RunStore.js"
import { loggerLayer } from "../src/process/Logging.js"
import { IngestReport } from "../src/stages/clean/IngestReport.js"
import { RejectedRowsStore } from "../src/stages/clean/RejectedRowsStore.js"

const file = process.argv[2]!
const InputOnly = definePipeline([load, clean])

const program = Effect.gen(function* () {
  const validationStarted = performance.now()
  const report = yield* Stream.runFold(readInput(InputOnly, { path: file }), new IngestReport(), (r, o) => {
    r.add(o)
    return r
  })
  const validationSeconds = (performance.now() - validationStarted) / 1000
  const summary = yield* runPipeline(InputOnly, { ...defaultPipelineOptions, input: file }, { mode: "json", shutdown: yield* Deferred.make<void>() })
  if (summary._tag !== "Completed") throw new Error("expected a completed run")
  const written = yield* Effect.flatMap(RejectedRowsStore, (s) => s.listByRun(summary.runId, { limit: 1, offset: 0 }))
  return {
    rows: report.read,
    rejectedAndDuplicates: report.rejected + report.duplicates,
    written: written.total,
    validationSeconds,
    // The run's own clock: from its session opening (after its validation pass) to its summary.
    writeSeconds: summary.seconds
  }
})

const config = Layer.setConfigProvider(ConfigProvider.fromEnv())
Effect.runPromise(
  program.pipe(
    Effect.provide(Layer.mergeAll(RunStore.Default, RejectedRowsStore.Default).pipe(Layer.provideMerge(DatabaseLive))),
    Effect.provide(loggerLayer("json", LogLevel.Warning)),
    Effect.provide(config)
  )
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
