import { SqlClient } from "@effect/sql"
import { Cause, Chunk, Deferred, Effect, Option, Schedule, Stream } from "effect"
import * as path from "node:path"
import { LlmConfig } from "../config/LlmConfig.js"
import { ScraperConfig } from "../config/ScraperConfig.js"
import type { CleanCompany } from "../schema/CleanCompany.js"
import type { ScrapeResult } from "../schema/ScrapeResult.js"
import { cleanStream } from "../stages/clean/cleanStream.js"
import type { Rejection } from "../stages/clean/cleanRow.js"
import { IngestReport } from "../stages/clean/IngestReport.js"
import { RejectedRowsStore } from "../stages/clean/RejectedRowsStore.js"
import { loadCsv } from "../stages/load/loadCsv.js"
import { sha256File } from "../stages/load/sha256File.js"
import { CompanySteps, type CompanyInFlight } from "./CompanySteps.js"
import { Enricher } from "../stages/enrich/Enricher.js"
import { planDryRun } from "./planDryRun.js"
import { PipelineError } from "./PipelineError.js"
import { DEFAULT_INPUT, type PipelineOptions } from "./PipelineOptions.js"
import { PERSIST_BATCH_SIZE, PERSIST_BATCH_WINDOW_MS } from "./PipelinePlan.js"
import { type ProgressMode, runProgressDisplay } from "./ProgressDisplay.js"
import { acquireRunLock } from "./RunLock.js"
import { type ItemRecord, type RunRow, RunStore } from "./RunStore.js"
import { StageCounters } from "./StageCounters.js"
import { type CompanyStage, type StageName, stageNames } from "./StageName.js"
import type { RunSummary } from "./RunSummary.js"

const REJECT_FLUSH_SIZE = 500

const isPresent = <A>(a: A | null): a is A => a !== null
const STAGE_BUFFER = 64
const SCRAPE_FEED_FACTOR = 3

export const selectedStages = (options: PipelineOptions): ReadonlySet<StageName> => {
  let stages: ReadonlyArray<StageName> = stageNames
  if (options.from) stages = stages.slice(stageNames.indexOf(options.from))
  if (options.only) stages = stages.filter((s) => options.only!.includes(s))
  // Every run reads its input: load and clean are how the companies are known at all.
  return new Set<StageName>(["load", "clean", ...stages])
}

interface ResumeState {
  readonly items: ReadonlyMap<string, Partial<Record<CompanyStage, ItemRecord>>>
}

const isSettled = (item: ItemRecord | undefined, retryFailed: boolean) =>
  item !== undefined && (item.status !== "failed" || (!item.retryable && !retryFailed))

/** Finished: persisted, and nothing upstream is waiting to be tried again. */
const isFinished = (state: ResumeState, domain: string, retryFailed: boolean) => {
  const items = state.items.get(domain)
  if (!items || items.persist?.status !== "succeeded") return false
  return (["scrape", "enrich"] as const).every((s) => items[s] === undefined || isSettled(items[s], retryFailed))
}

/** Pass 1: read and clean the whole input without writing anything, so bad input fails before any effect. */
const validateInput = (inputPath: string, delimiter: string | undefined) =>
  cleanStream(loadCsv(inputPath, delimiter === undefined ? {} : { delimiter })).pipe(
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
        return yield* new PipelineError({
          reason: "NothingToResume",
          message: "there is no unfinished run to resume; run without --resume to start one"
        })
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

export const runPipeline = (options: PipelineOptions, context: PipelineContext) =>
  Effect.gen(function* () {
    const runs = yield* RunStore
    const scraperSettings = yield* ScraperConfig
    const llmSettings = yield* LlmConfig
    const enricher = yield* Enricher
    const stages = selectedStages(options)

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

    const validation = yield* validateInput(inputPath, options.delimiter)
    yield* Effect.logInfo(`input ${inputPath}: ${validation.read} data lines, ${validation.accepted} companies accepted`)

    if (options.dryRun) {
      const plan = yield* planDryRun({
        inputPath,
        delimiter: options.delimiter,
        limit: options.limit,
        stages,
        retryFailed: options.retryFailed,
        resumeRunId: Option.map(existing, (r) => r.id)
      })
      return { _tag: "DryRun", validation, plan } as const satisfies RunSummary
    }

    yield* acquireRunLock({ wait: options.wait })

    const settingsSnapshot = {
      stages: [...stages],
      limit: options.limit ?? null,
      retryFailed: options.retryFailed,
      scraper: { ...scraperSettings },
      llm: {
        provider: enricher.provider,
        model: enricher.model,
        promptVersion: enricher.promptVersion,
        temperature: llmSettings.temperature,
        maxTokens: llmSettings.maxTokens,
        concurrency: llmSettings.concurrency
      }
    }
    const runId = yield* Option.match(existing, {
      onNone: () => runs.create({ inputPath, inputSha256, settings: settingsSnapshot }),
      onSome: (run) => Effect.as(runs.markRunning(run.id), run.id)
    })
    return yield* executeRun({ runId, inputPath, options, stages, context, validation, resumed: Option.isSome(existing) }).pipe(
      Effect.annotateLogs("run_id", runId)
    )
  }).pipe(Effect.scoped, Effect.withSpan("pipeline.run"))

const executeRun = (args: {
  runId: number
  inputPath: string
  options: PipelineOptions
  stages: ReadonlySet<StageName>
  context: PipelineContext
  validation: IngestReport
  resumed: boolean
}) =>
  Effect.gen(function* () {
    const { runId, options, stages, context } = args
    const sql = yield* SqlClient.SqlClient
    const runs = yield* RunStore
    const rejectedRows = yield* RejectedRowsStore
    const steps = yield* CompanySteps
    const scraperSettings = yield* ScraperConfig
    const llmSettings = yield* LlmConfig
    const started = Date.now()

    const state: ResumeState = {
      items: args.resumed
        ? (yield* runs.items(runId)).reduce((map, item) => {
            map.set(item.domain, { ...map.get(item.domain), [item.stage]: item })
            return map
          }, new Map<string, Partial<Record<CompanyStage, ItemRecord>>>())
        : new Map()
    }

    const counters = new StageCounters(stageNames)
    yield* Effect.addFinalizer((exit) =>
      exit._tag === "Success"
        ? Effect.void
        : runs
            .finish(
              runId,
              Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failed",
              counters.snapshot(),
              Cause.isInterruptedOnly(exit.cause) ? "interrupted" : Cause.pretty(exit.cause).slice(0, 2000)
            )
            .pipe(Effect.ignore)
    )
    const companyTotal = Math.min(args.validation.accepted, options.limit ?? Number.POSITIVE_INFINITY)
    counters.start("load", args.validation.read)
    counters.start("clean", args.validation.read)
    for (const stage of ["scrape", "merge", "enrich", "persist"] as const) {
      if (stages.has(stage)) counters.start(stage, companyTotal)
    }
    const writeStages = Effect.forEach(
      stageNames,
      (stage) => {
        const c = counters.get(stage)
        return runs.upsertStage(runId, stage, { ...c, status: stages.has(stage) ? c.status : "skipped", finished: c.finishedAt !== null })
      },
      { discard: true }
    )
    yield* writeStages
    yield* Effect.logInfo("run started").pipe(
      Effect.annotateLogs({ event: "run.start", input: args.inputPath, resumed: args.resumed, stages: [...stages].join(",") })
    )
    const logStageFinish = (stage: StageName) => {
      const c = counters.get(stage)
      return Effect.logInfo(`${stage} ${c.status}`).pipe(
        Effect.annotateLogs({ event: "stage.finish", stage, status: c.status, total: c.total, done: c.done, failed: c.failed, skipped: c.skipped })
      )
    }
    yield* Effect.forEach(
      stageNames.filter((s) => stages.has(s)),
      (stage) => Effect.logInfo(`${stage} started`).pipe(Effect.annotateLogs({ event: "stage.start", stage, total: counters.get(stage).total })),
      { discard: true }
    )

    yield* runProgressDisplay({
      mode: context.mode,
      counters,
      stages: stageNames.filter((s) => stages.has(s)),
      intervalMs: context.progressIntervalMs ?? 5000
    })
    yield* Effect.forkScoped(
      Effect.repeat(
        Effect.zipRight(writeStages, runs.heartbeat(runId, counters.snapshot())).pipe(Effect.delay("2 seconds"), Effect.ignore),
        Schedule.forever
      )
    )

    // --- load + clean (second, writing pass) ---
    let pendingRejections: Array<Rejection> = []
    const flushRejections = Effect.suspend(() => {
      const batch = pendingRejections
      pendingRejections = []
      return rejectedRows.saveBatch(runId, batch)
    })

    const companies = cleanStream(loadCsv(args.inputPath, options.delimiter === undefined ? {} : { delimiter: options.delimiter })).pipe(
      Stream.mapChunksEffect((chunk) =>
        Effect.gen(function* () {
          const accepted: Array<CleanCompany> = []
          for (const outcome of chunk) {
            counters.add("load", "done")
            if (outcome._tag === "Accepted") {
              counters.add("clean", "done")
              accepted.push(outcome.company)
            } else {
              counters.add("clean", "failed")
              pendingRejections.push(outcome.rejection)
            }
          }
          if (pendingRejections.length >= REJECT_FLUSH_SIZE) yield* flushRejections
          return Chunk.unsafeFromArray(accepted)
        })
      ),
      options.limit === undefined ? (s) => s : Stream.take(options.limit),
      Stream.interruptWhen(Deferred.await(context.shutdown)),
      Stream.ensuring(
        Effect.suspend(() => {
          counters.finish("load", "succeeded")
          counters.finish("clean", "succeeded")
          return Effect.forEach(["load", "clean"] as const, logStageFinish, { discard: true })
        })
      )
    )

    const skipCompany = (company: CleanCompany) => {
      for (const stage of ["scrape", "merge", "enrich", "persist"] as const) {
        if (stages.has(stage)) counters.add(stage, "skipped")
      }
      return company
    }

    // After SIGINT/SIGTERM no company starts a stage: in-flight ones finish, waiting ones stay for --resume
    // (their fetched pages are already in the scrape cache).
    const stopping = Deferred.isDone(context.shutdown)

    const scrapeStep = (company: CleanCompany) =>
      Effect.gen(function* () {
        if (yield* stopping) return null
        const { scrape, scraped } = yield* steps.scrape(company, { stages, retryFailed: options.retryFailed })
        if (scraped && scrape) counters.add("scrape", scrape.status === "success" ? "done" : scrape.status === "skipped" ? "skipped" : "failed")
        return { company, scrape, scraped }
      })

    const enrichStep = (scraped: { company: CleanCompany; scrape: ScrapeResult | null; scraped: boolean }) =>
      Effect.gen(function* () {
        if (yield* stopping) return null
        if (stages.has("merge")) counters.add("merge", "done")
        const enrichment = yield* steps.enrich(scraped.company, scraped.scrape, { stages })
        if (enrichment._tag !== "NotEnriched") counters.add("enrich", enrichment._tag === "Enriched" ? "done" : "failed")
        return { ...scraped, enrichment } satisfies CompanyInFlight
      })

    const persistBatch = (batch: ReadonlyArray<CompanyInFlight>) =>
      steps.persist(runId, batch, { stages }).pipe(
        Effect.tap(() => Effect.sync(() => stages.has("persist") && counters.add("persist", "done", batch.length)))
      )

    yield* companies.pipe(
      Stream.filter((company) => {
        if (!isFinished(state, company.domain, options.retryFailed)) return true
        skipCompany(company)
        return false
      }),
      // The Scraper bounds requests itself (globally and per host); more companies in flight than request
      // slots keeps those slots busy through redirects, robots.txt turns and page processing.
      Stream.mapEffect(scrapeStep, { concurrency: scraperSettings.concurrency * SCRAPE_FEED_FACTOR, unordered: true }),
      Stream.filter(isPresent),
      Stream.buffer({ capacity: STAGE_BUFFER }),
      Stream.mapEffect(enrichStep, { concurrency: llmSettings.concurrency, unordered: true }),
      Stream.filter(isPresent),
      Stream.groupedWithin(PERSIST_BATCH_SIZE, PERSIST_BATCH_WINDOW_MS),
      Stream.mapEffect((chunk) => persistBatch(Chunk.toReadonlyArray(chunk))),
      Stream.runDrain,
      Effect.ensuring(flushRejections.pipe(Effect.ignore))
    )

    const interrupted = yield* Deferred.isDone(context.shutdown)
    for (const stage of ["scrape", "merge", "enrich", "persist"] as const) {
      if (stages.has(stage)) counters.finish(stage, interrupted ? "interrupted" : "succeeded")
    }
    yield* Effect.forEach((["scrape", "merge", "enrich", "persist"] as const).filter((s) => stages.has(s)), logStageFinish, { discard: true })
    yield* writeStages
    const failures = yield* runs.failuresByKind(runId)
    const tokens = yield* runs.tokens(runId)
    const status = interrupted ? "interrupted" : "succeeded"
    yield* runs.finish(runId, status, counters.snapshot(), interrupted ? "interrupted by signal" : null)
    const summary: RunSummary = {
      _tag: "Completed",
      runId,
      status,
      stages: counters.snapshot(),
      validation: args.validation,
      failures,
      tokens,
      seconds: (Date.now() - started) / 1000
    }
    yield* Effect.logInfo("run finished").pipe(
      Effect.annotateLogs({ event: "run.finish", status, seconds: summary.seconds, tokens_in: tokens.input, tokens_out: tokens.output })
    )
    return summary
  }).pipe(Effect.scoped)
