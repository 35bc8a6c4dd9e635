import { Args, Command, Options } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Deferred, Effect, Exit, Fiber, type Layer, Option } from "effect"
import { requireDatabaseServer } from "../cluster/requireDatabaseServer.js"
import type { runDistributedPipeline } from "../cluster/runDistributedPipeline.js"
import { configProviderWithDotEnv } from "../config/DotEnv.js"
import { LlmConfig } from "../config/LlmConfig.js"
import { ScraperConfig } from "../config/ScraperConfig.js"
import { resolveProvider } from "../stages/enrich/resolveProvider.js"
import { errorMessage } from "../process/errorMessage.js"
import { ExitCode, exitCodeForCause } from "../process/ExitCode.js"
import { loggerLayer, resolveLogMode } from "../process/Logging.js"
import { PipelineError } from "../pipeline/PipelineError.js"
import type { PipelineLayer } from "../pipeline/PipelineLayer.js"
import type { PipelineOptions } from "../pipeline/PipelineOptions.js"
import { formatPlan, pipelinePlan } from "../pipeline/PipelinePlan.js"
import type { runPipeline } from "../pipeline/runPipeline.js"
import type { SubmitterLayer } from "../pipeline/SubmitterLayer.js"
import { formatRunList, formatRunStatus } from "../pipeline/formatRuns.js"
import { failureCount, formatSummary, type RunSummary } from "../pipeline/RunSummary.js"
import { RunStore } from "../pipeline/RunStore.js"
import { parseStageList, type StageName } from "../pipeline/StageName.js"

// The run's modules (stages, the OpenAI client, the cluster) are imported when a command needs them, so that
// --help, --plan, runs and status start at once.
const load = <A>(module: () => Promise<A>) => Effect.promise(module)

/** In-flight companies get this long to finish after SIGINT/SIGTERM before they are cut off. */
const SHUTDOWN_GRACE = "10 seconds"

let exitCode: number = ExitCode.Ok
let signal: "SIGINT" | "SIGTERM" | undefined
process.once("SIGINT", () => (signal ??= "SIGINT"))
process.once("SIGTERM", () => (signal ??= "SIGTERM"))

const stageOption = (raw: Option.Option<string>, flag: string) =>
  Option.match(raw, {
    onNone: () => Effect.succeed(undefined),
    onSome: (value) => {
      const parsed = parseStageList(value)
      return typeof parsed === "string"
        ? Effect.fail(new PipelineError({ reason: "BadArgument", message: `${flag}: ${parsed}` }))
        : Effect.succeed(parsed)
    }
  })

const options = {
  input: Options.file("input").pipe(
    Options.withDescription("CSV of companies (company_name, domain, country, employee_count, industry_raw); default data/companies.csv, or the resumed run's input"),
    Options.optional
  ),
  delimiter: Options.text("delimiter").pipe(Options.withDescription("field delimiter (default: detected among , ; and tab)"), Options.optional),
  resume: Options.boolean("resume").pipe(Options.withDescription("continue the latest unfinished run")),
  runId: Options.integer("run-id").pipe(Options.withDescription("continue this run"), Options.optional),
  only: Options.text("only").pipe(Options.withDescription("run only these stages, e.g. scrape,enrich (load and clean always run)"), Options.optional),
  from: Options.text("from").pipe(Options.withDescription("run from this stage on"), Options.optional),
  retryFailed: Options.boolean("retry-failed").pipe(Options.withDescription("also retry companies that failed with a non-retryable error")),
  limit: Options.integer("limit").pipe(Options.withDescription("process at most N companies"), Options.optional),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("load and clean, then print what the run would do")),
  plan: Options.boolean("plan").pipe(Options.withDescription("print the stages with their concurrency and retry policies")),
  strict: Options.boolean("strict").pipe(Options.withDescription("exit 1 when any company failed")),
  wait: Options.boolean("wait").pipe(Options.withDescription("wait for another run holding the lock instead of exiting 3")),
  distributed: Options.boolean("distributed").pipe(
    Options.withDescription("submit the companies to the cluster of `pnpm worker` runners (needs DATABASE_URL) and follow them")
  )
}

/**
 * Runs the pipeline in its own fiber so that a signal does not cut it off: the signal asks it to stop taking
 * new companies, in-flight ones get SHUTDOWN_GRACE to finish, then it is interrupted (the run is marked
 * `interrupted` either way).
 */
const runGracefully = <A, E, R>(program: (shutdown: Deferred.Deferred<void>) => Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const shutdown = yield* Deferred.make<void>()
    const fiber = yield* Effect.forkDaemon(program(shutdown))
    return yield* Fiber.join(fiber).pipe(
      Effect.onInterrupt(() =>
        Effect.gen(function* () {
          yield* Effect.logWarning(`received ${signal ?? "interrupt"}: finishing in-flight companies, taking no new ones`)
          yield* Deferred.succeed(shutdown, undefined)
          const done = yield* Fiber.await(fiber).pipe(Effect.timeout(SHUTDOWN_GRACE), Effect.option)
          if (Option.isNone(done)) yield* Fiber.interrupt(fiber)
        })
      )
    )
  })

const pipelineCommand = Command.make("pipeline", options, (args) =>
  Effect.gen(function* () {
    const { mode, level } = yield* resolveLogMode
    if (args.plan) {
      const scraper = yield* ScraperConfig
      const llm = yield* LlmConfig
      yield* Console.log(formatPlan(pipelinePlan({ scraper, llm, provider: resolveProvider(llm) })))
      return
    }
    const only = yield* stageOption(args.only, "--only")
    const from = yield* stageOption(args.from, "--from")
    if (from && from.length !== 1) {
      return yield* new PipelineError({ reason: "BadArgument", message: "--from takes one stage" })
    }
    const pipelineOptions: PipelineOptions = {
      input: Option.getOrUndefined(args.input),
      delimiter: Option.getOrUndefined(args.delimiter),
      resume: args.resume,
      runId: Option.getOrUndefined(args.runId),
      only,
      from: from?.[0] as StageName | undefined,
      retryFailed: args.retryFailed,
      limit: Option.getOrUndefined(args.limit),
      dryRun: args.dryRun,
      strict: args.strict,
      wait: args.wait
    }
    if (pipelineOptions.limit !== undefined && pipelineOptions.limit < 1) {
      return yield* new PipelineError({ reason: "BadArgument", message: `--limit: expected a positive integer, got ${pipelineOptions.limit}` })
    }
    if (args.distributed && !args.dryRun) yield* requireDatabaseServer("--distributed")
    type Failure =
      | Effect.Effect.Error<ReturnType<typeof runPipeline>>
      | Effect.Effect.Error<ReturnType<typeof runDistributedPipeline>>
      | Layer.Layer.Error<typeof PipelineLayer>
      | Layer.Layer.Error<typeof SubmitterLayer>
    const run = (shutdown: Deferred.Deferred<void>): Effect.Effect<RunSummary, Failure> =>
      args.distributed && !args.dryRun
        ? Effect.gen(function* () {
            const { runDistributedPipeline } = yield* load(() => import("../cluster/runDistributedPipeline.js"))
            const { SubmitterLayer } = yield* load(() => import("../pipeline/SubmitterLayer.js"))
            return yield* runDistributedPipeline(pipelineOptions, { mode, shutdown }).pipe(Effect.provide(SubmitterLayer))
          })
        : Effect.gen(function* () {
            const { runPipeline } = yield* load(() => import("../pipeline/runPipeline.js"))
            const { PipelineLayer } = yield* load(() => import("../pipeline/PipelineLayer.js"))
            return yield* runPipeline(pipelineOptions, { mode, shutdown }).pipe(Effect.provide(PipelineLayer))
          })
    yield* runGracefully((shutdown) =>
      run(shutdown).pipe(
        Effect.tap((summary) => {
          if (pipelineOptions.strict && failureCount(summary) > 0) exitCode = ExitCode.Failures
          if (summary._tag === "Completed" && summary.status === "interrupted") {
            exitCode = signal === "SIGTERM" ? ExitCode.Terminated : ExitCode.Interrupted
          }
          return mode === "tty" || summary._tag === "DryRun" ? Console.log(formatSummary(summary)) : Effect.void
        })
      )
    ).pipe(Effect.provide(loggerLayer(mode, level)))
  })
).pipe(Command.withDescription("Score the companies of a CSV: load → clean → scrape → merge → enrich → persist."))

const runsCommand = Command.make(
  "runs",
  { limit: Options.integer("limit").pipe(Options.withDefault(20), Options.withDescription("how many runs to list")) },
  ({ limit }) =>
    Effect.gen(function* () {
      const { mode, level } = yield* resolveLogMode
      const { RunsQueryLayer } = yield* load(() => import("../pipeline/RunsQueryLayer.js"))
      yield* Effect.gen(function* () {
        const runs = yield* RunStore
        yield* Console.log(formatRunList(yield* runs.list(limit)))
      }).pipe(Effect.provide(RunsQueryLayer), Effect.provide(loggerLayer(mode, level)))
    })
).pipe(Command.withDescription("List recent pipeline runs."))

const statusCommand = Command.make(
  "status",
  { id: Args.integer({ name: "RUN_ID" }).pipe(Args.withDescription("run id (default: the latest run)"), Args.optional) },
  ({ id }) =>
    Effect.gen(function* () {
      const { mode, level } = yield* resolveLogMode
      const { RunsQueryLayer } = yield* load(() => import("../pipeline/RunsQueryLayer.js"))
      yield* Effect.gen(function* () {
        const runs = yield* RunStore
        const run = yield* Option.match(id, {
          onSome: (runId) => runs.get(runId),
          onNone: () => Effect.map(runs.list(1), (rows) => Option.fromNullable(rows[0]))
        })
        if (Option.isNone(run)) {
          return yield* new PipelineError({
            reason: "RunNotFound",
            message: Option.isSome(id) ? `there is no run ${id.value}` : "there are no runs yet"
          })
        }
        const stages = yield* runs.stages(run.value.id)
        const failures = yield* runs.failuresByKind(run.value.id)
        const tokens = yield* runs.tokens(run.value.id)
        yield* Console.log(formatRunStatus(run.value, stages, failures, tokens))
      }).pipe(Effect.provide(RunsQueryLayer), Effect.provide(loggerLayer(mode, level)))
    })
).pipe(Command.withDescription("Per-stage progress of a run."))

const cli = Command.run(pipelineCommand.pipe(Command.withSubcommands([runsCommand, statusCommand])), {
  name: "CommonForge Lead Scoring pipeline",
  version: "0.1.0"
})

const main = Effect.gen(function* () {
  const provider = yield* configProviderWithDotEnv()
  yield* cli(process.argv).pipe(Effect.withConfigProvider(provider))
}).pipe(
  Effect.tapErrorCause((cause) =>
    Cause.isInterruptedOnly(cause)
      ? Effect.void
      : Effect.sync(() => {
          const message = errorMessage(cause)
          const json = process.env.LOG_FORMAT === "json" || (process.env.LOG_FORMAT !== "pretty" && !process.stderr.isTTY)
          process.stderr.write(
            json
              ? JSON.stringify({ timestamp: new Date().toISOString(), level: "error", message, exit_code: exitCodeForCause(cause) }) + "\n"
              : `error: ${message}\n`
          )
        })
  ),
  Effect.provide(NodeContext.layer)
)

NodeRuntime.runMain(main, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => {
    if (signal) return onExit(signal === "SIGTERM" ? ExitCode.Terminated : ExitCode.Interrupted)
    onExit(Exit.isSuccess(exit) ? exitCode : exitCodeForCause(exit.cause))
  }
})
