import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Chunk, type ConfigError, Deferred, Effect, Logger, LogLevel, Option, Stream } from "effect"
import { runMigrations } from "../db/Migrations.js"
import type { DatabaseTarget } from "../db/Database.js"
import type { RejectedRowsStore } from "../stages/clean/RejectedRowsStore.js"
import type { LoadError } from "../stages/load/LoadError.js"
import * as path from "node:path"
import type { CleanCompany } from "../schema/CleanCompany.js"
import { IngestReport } from "../stages/clean/IngestReport.js"
import { sha256File } from "../stages/load/sha256File.js"
import { Enricher } from "../stages/enrich/Enricher.js"
import { commitCompanies } from "./commitCompanies.js"
import { CompanyRun } from "./CompanyRun.js"
import {
  type Pipeline,
  type PipelineErrors,
  type PipelineRequirements,
  readInput,
  runningCompanyStages,
  runPreflights,
  selectStages
} from "./definePipeline.js"
import { planDryRun } from "./planDryRun.js"
import { PipelineError } from "./PipelineError.js"
import { DEFAULT_INPUT, type PipelineOptions } from "./PipelineOptions.js"
import { PipelineSettings } from "./PipelineSettings.js"
import type { ProgressMode } from "./ProgressDisplay.js"
import { acquireRunLock } from "./RunLock.js"
import { ResumeState } from "./ResumeState.js"
import { openRunSession } from "./RunSession.js"
import { type RunRow, RunStore } from "./RunStore.js"
import type { RunSummary } from "./RunSummary.js"
import type { AnyCompanyStage } from "./Stage.js"

const isPresent = <A>(a: A | null): a is A => a !== null
/** Room between two stages with I/O, so a slow burst in one does not stall the other. */
const STAGE_BUFFER = 64

/**
 * Pass 1: read and clean the input without writing anything, so bad input fails before any effect. With
 * `--limit` it stops where the writing pass will, so the summary counts exactly the lines the run records.
 */
const validateInput = (pipeline: Pipeline, inputPath: string, options: PipelineOptions) =>
  readInput(pipeline, { path: inputPath, delimiter: options.delimiter, columns: options.columns, limit: options.limit }).pipe(
    Stream.runFold(new IngestReport(), (report, outcome) => {
      report.add(outcome)
      return report
    }),
    Effect.withSpan("pipeline.validate")
  )

const resolveRun = (options: PipelineOptions) =>
  Effect.gen(function* () {
    const runs = yield* RunStore
    if (options.runId !== undefined) {
      const run = yield* runs.get(options.runId)
      if (Option.isNone(run)) {
        return yield* new PipelineError({ reason: "RunNotFound", message: `there is no run ${options.runId}; \`pnpm pipeline runs\` lists them` })
      }
      return run
    }
    if (options.resume) {
      const run = yield* runs.latestUnfinished
      if (Option.isNone(run)) {
        yield* Effect.logInfo("no unfinished run to resume: starting a new run (caches make finished companies free)").pipe(
          Effect.annotateLogs({ event: "run.resume.none" })
        )
      }
      return run
    }
    return Option.none<RunRow>()
  })

export interface PipelineContext {
  readonly mode: ProgressMode
  /** Completed to ask the run to stop taking new work (SIGINT/SIGTERM). */
  readonly shutdown: Deferred.Deferred<void>
  readonly progressIntervalMs?: number
}

export interface PreparedRun {
  readonly _tag: "Prepared"
  readonly pipeline: Pipeline
  readonly runId: number
  readonly inputPath: string
  readonly stages: ReadonlySet<string>
  readonly validation: IngestReport
  readonly resumed: boolean
}

/** Find the run to continue, check its input is unchanged and validate every row: nothing is written yet. */
const validateRun = (pipeline: Pipeline, options: PipelineOptions) =>
  Effect.gen(function* () {
    const stages = selectStages(pipeline, options)

    const existing = yield* resolveRun(options)
    const inputPath = path.resolve(options.input ?? Option.match(existing, { onNone: () => DEFAULT_INPUT, onSome: (r) => r.inputPath }))
    const inputSha256 = yield* sha256File(inputPath)
    if (Option.isSome(existing) && existing.value.inputSha256 !== inputSha256) {
      return yield* new PipelineError({
        reason: "InputChanged",
        message:
          `${inputPath} has changed since run ${existing.value.id} started (sha256 ${existing.value.inputSha256.slice(0, 12)}… → ` +
          `${inputSha256.slice(0, 12)}…); it cannot be resumed: start a new run (without --resume/--run-id)`
      })
    }

    const validation = yield* validateInput(pipeline, inputPath, options)
    yield* Effect.logInfo(`input ${inputPath}: ${validation.read} data lines, ${validation.accepted} companies accepted`)

    return { existing, inputPath, inputSha256, stages, validation }
  })

/**
 * Everything before the companies flow, shared by every executor: find or create the run, check its input,
 * validate every row (nothing is written for bad input), take the run lock. Needs a Scope: the lock lives in it.
 */
export const prepareRun = (
  pipeline: Pipeline,
  options: PipelineOptions,
  settings: { readonly distributed: boolean; readonly pipelineSettings?: PipelineSettings },
  validated?: Effect.Effect.Success<ReturnType<typeof validateRun>>
) =>
  Effect.gen(function* () {
    const runs = yield* RunStore
    const { scraper, llm } = settings.pipelineSettings ?? (yield* PipelineSettings)
    const enricher = yield* Effect.serviceOption(Enricher)
    const { existing, inputPath, inputSha256, stages, validation } = validated ?? (yield* validateRun(pipeline, options))

    yield* acquireRunLock({ wait: options.wait })

    const settingsSnapshot = {
      stages: [...stages],
      limit: options.limit ?? null,
      retryFailed: options.retryFailed,
      scraper: { ...scraper },
      distributed: settings.distributed,
      llm: {
        // Distributed runs are enriched by the runners, with their own LLM settings.
        ...Option.match(enricher, {
          onNone: () => ({}),
          onSome: (e) => ({ provider: e.provider, model: e.model, promptVersion: e.promptVersion })
        }),
        temperature: llm.temperature,
        maxTokens: llm.maxTokens,
        concurrency: llm.concurrency
      }
    }
    const runId = yield* Option.match(existing, {
      onNone: () => runs.create({ inputPath, inputSha256, settings: settingsSnapshot }),
      onSome: (run) => Effect.as(runs.markRunning(run.id), run.id)
    })
    return { _tag: "Prepared", pipeline, runId, inputPath, stages, validation, resumed: Option.isSome(existing) } as const satisfies PreparedRun
  })

class RolledBack<A> {
  constructor(readonly value: A) {}
}

/**
 * `--dry-run`: what the run would do, from the caches and the resumed run's progress, writing nothing. A database
 * a version behind (or new) is migrated inside a transaction that is rolled back, so its schema is read as the run
 * would see it and left as it was.
 */
const dryRun = (pipeline: Pipeline, options: PipelineOptions) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* sql
      .withTransaction(
        Effect.gen(function* () {
          yield* runMigrations.pipe(Logger.withMinimumLogLevel(LogLevel.Warning))
          const validated = yield* validateRun(pipeline, options)
          const plan = yield* planDryRun({
            pipeline,
            settings: yield* PipelineSettings,
            inputPath: validated.inputPath,
            delimiter: options.delimiter,
            columns: options.columns,
            limit: options.limit,
            stages: validated.stages,
            retryFailed: options.retryFailed,
            resumeRunId: Option.map(validated.existing, (r) => r.id)
          })
          return yield* Effect.fail(
            new RolledBack({ _tag: "DryRun", validation: validated.validation, plan } as const satisfies RunSummary)
          )
        })
      )
      .pipe(Effect.catchIf((e): e is RolledBack<RunSummary> => e instanceof RolledBack, (e) => Effect.succeed(e.value)))
  })

/** The single-process executor: the declared stages as one stream, each per-company stage with its own bound. */
export const runPipeline = <P extends Pipeline>(pipeline: P, options: PipelineOptions, context: PipelineContext) =>
  Effect.gen(function* () {
    if (options.dryRun) return yield* dryRun(pipeline, options)
    const validated = yield* validateRun(pipeline, options)
    // Read once for the whole run: each read parses every setting from the environment again.
    const settings = yield* PipelineSettings
    yield* runPreflights(pipeline, validated.stages, settings)
    const prepared = yield* prepareRun(pipeline, options, { distributed: false, pipelineSettings: settings }, validated)
    return yield* executeRun({ ...prepared, options, context, settings }).pipe(Effect.annotateLogs("run_id", prepared.runId))
  }).pipe(Effect.scoped, Effect.withSpan("pipeline.run")) as Effect.Effect<RunSummary, ExecutorErrors<P>, ExecutorRequirements<P>>

/** What an executor adds to its stages' errors and needs: the run's bookkeeping and the input checks. */
export type ExecutorErrors<P> = PipelineErrors<P> | PipelineError | SqlError | LoadError | ConfigError.ConfigError
export type ExecutorRequirements<P> =
  | PipelineRequirements<P>
  | RunStore
  | RejectedRowsStore
  | SqlClient.SqlClient
  | DatabaseTarget

const executeRun = (
  args: PreparedRun & { readonly options: PipelineOptions; readonly context: PipelineContext; readonly settings: PipelineSettings }
) =>
  Effect.gen(function* () {
    const { pipeline, runId, options, stages, context, settings } = args
    const runs = yield* RunStore
    const state = new ResumeState(pipeline, args.resumed ? yield* runs.items(runId) : [])
    const { counters, companies, skipCompany, finish } = yield* openRunSession({
      ...args,
      mode: context.mode,
      shutdown: context.shutdown,
      progressIntervalMs: context.progressIntervalMs
    })

    // After SIGINT/SIGTERM no company starts a stage with I/O: in-flight ones finish, waiting ones stay for
    // --resume (their fetched pages are already in the scrape cache).
    const stopping = Deferred.isDone(context.shutdown)

    const step = (stage: AnyCompanyStage) => {
      const options_ = { selected: stages.has(stage.name), retryFailed: options.retryFailed, settings }
      return (company: CompanyRun) =>
        Effect.gen(function* () {
          if (!stage.pure && (yield* stopping)) return null
          const output = yield* stage.run(company, options_)
          if (options_.selected) {
            const outcome = stage.outcome(output)
            if (outcome) counters.add(stage.name, outcome)
          }
          return company.with(stage.name, output)
        })
    }

    const running = runningCompanyStages(pipeline, stages)
    const sink = pipeline.sink
    if (running.length === 0 && !(sink && stages.has(sink.name))) {
      // Nothing is done or recorded per company (`--only load,clean`): the pass records the input alone.
      yield* Stream.runDrain(companies)
      return yield* finish
    }

    const throughStages = running.reduce<Stream.Stream<CompanyRun, any, any>>((stream, stage) => {
      const run = step(stage)
      if (stage.pure) return Stream.filter(Stream.mapEffect(stream, run), isPresent)
      return stream.pipe(
        Stream.mapEffect(run, { concurrency: stage.bound(settings).concurrency, unordered: true }),
        Stream.filter(isPresent),
        Stream.buffer({ capacity: STAGE_BUFFER })
      )
    }, companies.pipe(
      Stream.filter((company: CleanCompany) => {
        if (!state.isFinished(company.domain, stages, options.retryFailed)) return true
        skipCompany(company)
        return false
      }),
      Stream.map((company) => new CompanyRun(company))
    ))

    const batch = sink?.batch ?? { size: 100, windowMs: 250 }
    yield* throughStages.pipe(
      Stream.groupedWithin(batch.size, batch.windowMs),
      Stream.mapEffect((chunk) =>
        Effect.map(commitCompanies(pipeline, runId, Chunk.toReadonlyArray(chunk), stages), (stored) => {
          if (sink && stages.has(sink.name)) {
            counters.add(sink.name, "done", stored)
            counters.add(sink.name, "failed", chunk.length - stored)
          }
        })
      ),
      Stream.runDrain
    )
    return yield* finish
  }).pipe(Effect.scoped)
