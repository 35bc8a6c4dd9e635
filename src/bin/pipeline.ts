import { Args, Command, Options } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Console, Deferred, Effect, Exit, Fiber, Option } from "effect"
import * as fs from "node:fs"
import { requireDatabaseServer } from "../cluster/requireDatabaseServer.js"
import { configProviderWithDotEnv } from "../config/DotEnv.js"
import { parseStageList } from "../pipeline/definePipeline.js"
import { Pipeline } from "../pipeline/Pipeline.js"
import { PipelineSettings } from "../pipeline/PipelineSettings.js"
import { ExitCode } from "../process/ExitCode.js"
import { runProgram } from "../process/runProgram.js"
import { loggerLayer, resolveLogMode } from "../process/Logging.js"
import { PipelineError } from "../pipeline/PipelineError.js"
import type { PipelineOptions } from "../pipeline/PipelineOptions.js"
import { formatPlan } from "../pipeline/PipelinePlan.js"
import { formatRunList, formatRunStatus } from "../pipeline/formatRuns.js"
import { failureCount, formatSummary, type RunSummary, summaryDocument } from "../pipeline/RunSummary.js"
import { RunStore } from "../pipeline/RunStore.js"

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
      const parsed = parseStageList(Pipeline, value)
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
  columns: Options.text("columns").pipe(
    Options.withDescription("which header holds a column, e.g. domain=Website,employee_count=Headcount (common aliases map by themselves)"),
    Options.optional
  ),
  resume: Options.boolean("resume").pipe(Options.withDescription("continue the latest unfinished run")),
  runId: Options.integer("run-id").pipe(Options.withDescription("continue this run"), Options.optional),
  only: Options.text("only").pipe(
    Options.withDescription(
      `run only these stages (${Pipeline.names.join(", ")}); ${Pipeline.inputs.map((s) => s.name).join(" and ")} always run`
    ),
    Options.optional
  ),
  from: Options.text("from").pipe(Options.withDescription(`run from this stage on (one of ${Pipeline.names.join(", ")})`), Options.optional),
  summary: Options.file("summary").pipe(
    Options.withDescription("also write the run's summary as one JSON document to this file (for orchestrators)"),
    Options.optional
  ),
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
      yield* Console.log(formatPlan(Pipeline, yield* PipelineSettings))
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
      columns: Option.getOrUndefined(args.columns),
      resume: args.resume,
      runId: Option.getOrUndefined(args.runId),
      only,
      from: from?.[0],
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
    const summaryFile = Option.getOrUndefined(args.summary)
    const run = (shutdown: Deferred.Deferred<void>): Effect.Effect<RunSummary, unknown> =>
      args.distributed && !args.dryRun
        ? // The cluster client is loaded only for a distributed run.
          Effect.flatMap(load(() => import("../cluster/submitDistributed.js")), ({ submitDistributed }) =>
            submitDistributed(Pipeline, pipelineOptions, { mode, shutdown })
          )
        : Effect.gen(function* () {
            const { runPipeline } = yield* load(() => import("../pipeline/runPipeline.js"))
            const { DryRunLayer, PipelineLayer } = yield* load(() => import("../pipeline/PipelineLayer.js"))
            return yield* runPipeline(Pipeline, pipelineOptions, { mode, shutdown }).pipe(
              Effect.provide(pipelineOptions.dryRun ? DryRunLayer : PipelineLayer)
            )
          })
    yield* runGracefully((shutdown) =>
      run(shutdown).pipe(
        Effect.tap((summary) => {
          if (pipelineOptions.strict && failureCount(summary) > 0) exitCode = ExitCode.Failures
          if (summary._tag === "Completed" && summary.status === "interrupted") {
            exitCode = signal === "SIGTERM" ? ExitCode.Terminated : ExitCode.Interrupted
          }
          if (summaryFile !== undefined) fs.writeFileSync(summaryFile, JSON.stringify(summaryDocument(summary), null, 2) + "\n")
          return mode === "tty" || summary._tag === "DryRun" ? Console.log(formatSummary(summary)) : Effect.void
        })
      )
    ).pipe(Effect.provide(loggerLayer(mode, level)))
  })
).pipe(Command.withDescription(`Score the companies of a CSV: ${Pipeline.names.join(" → ")}.`))

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
        yield* Console.log(formatRunStatus(Pipeline, run.value, stages, failures, tokens))
      }).pipe(Effect.provide(RunsQueryLayer), Effect.provide(loggerLayer(mode, level)))
    })
).pipe(Command.withDescription("Per-stage progress of a run."))

const cli = Command.run(pipelineCommand.pipe(Command.withSubcommands([runsCommand, statusCommand])), {
  name: "CommonForge Lead Scoring pipeline",
  version: "0.1.0"
})

const builtInFlags = new Set(["--help", "-h", "--version", "--wizard", "--completions", "--log-level"])
const pipelineFlags = new Set(Object.keys(options).map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`))

/** @effect/cli reads an unknown flag as a subcommand ("Invalid subcommand"); name it for what it is. */
const unknownFlag = (argv: ReadonlyArray<string>) => {
  const args = argv.slice(2)
  if (args[0] === "runs" || args[0] === "status") return undefined
  return args.find((arg) => arg.startsWith("-") && !/^-\d/.test(arg) && !pipelineFlags.has(arg.split("=")[0]!) && !builtInFlags.has(arg.split("=")[0]!))
}

const main = Effect.gen(function* () {
  const provider = yield* configProviderWithDotEnv()
  const unknown = unknownFlag(process.argv)
  if (unknown !== undefined) {
    return yield* new PipelineError({
      reason: "BadArgument",
      message: `unknown option ${unknown}; the options are ${[...pipelineFlags].join(", ")} (see --help)`
    })
  }
  yield* cli(process.argv).pipe(Effect.withConfigProvider(provider))
}).pipe(Effect.provide(NodeContext.layer))

runProgram(main, {
  exitCode: (exit) =>
    signal ? (signal === "SIGTERM" ? ExitCode.Terminated : ExitCode.Interrupted) : Exit.isSuccess(exit) ? exitCode : undefined
})
