import { Chunk, Deferred, Effect, Option, Stream } from "effect"
import * as path from "node:path"
import { LlmConfig } from "../config/LlmConfig.js"
import { ScraperConfig } from "../config/ScraperConfig.js"
import type { CleanCompany } from "../schema/CleanCompany.js"
import type { ScrapeResult } from "../schema/ScrapeResult.js"
import { cleanStream } from "../stages/clean/cleanStream.js"
import { IngestReport } from "../stages/clean/IngestReport.js"
import { loadCsv } from "../stages/load/loadCsv.js"
import { sha256File } from "../stages/load/sha256File.js"
import { CompanySteps, type CompanyInFlight } from "./CompanySteps.js"
import { Enricher } from "../stages/enrich/Enricher.js"
import { planDryRun } from "./planDryRun.js"
import { PipelineError } from "./PipelineError.js"
import { DEFAULT_INPUT, type PipelineOptions } from "./PipelineOptions.js"
import { PERSIST_BATCH_SIZE, PERSIST_BATCH_WINDOW_MS } from "./PipelinePlan.js"
import type { ProgressMode } from "./ProgressDisplay.js"
import { acquireRunLock } from "./RunLock.js"
import { ResumeState } from "./ResumeState.js"
import { openRunSession } from "./RunSession.js"
import { type RunRow, RunStore } from "./RunStore.js"
import { type StageName, stageNames } from "./StageName.js"
import type { RunSummary } from "./RunSummary.js"

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

/** Pass 1: read and clean the whole input without writing anything, so bad input fails before any effect. */
const validateInput = (inputPath: string, delimiter: string | undefined, columns: string | undefined) =>
  cleanStream(loadCsv(inputPath, { delimiter, columns })).pipe(
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

export interface PreparedRun {
  readonly _tag: "Prepared"
  readonly runId: number
  readonly inputPath: string
  readonly stages: ReadonlySet<StageName>
  readonly validation: IngestReport
  readonly resumed: boolean
}

/** Find the run to continue, check its input is unchanged and validate every row: nothing is written yet. */
const validateRun = (options: PipelineOptions) =>
  Effect.gen(function* () {
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

    const validation = yield* validateInput(inputPath, options.delimiter, options.columns)
    yield* Effect.logInfo(`input ${inputPath}: ${validation.read} data lines, ${validation.accepted} companies accepted`)

    return { existing, inputPath, inputSha256, stages, validation }
  })

/**
 * Everything before the companies flow, shared by both executors: find or create the run, check its input,
 * validate every row (nothing is written for bad input), take the run lock. Needs a Scope: the lock lives in it.
 */
export const prepareRun = (
  options: PipelineOptions,
  settings: { readonly distributed: boolean },
  validated?: Effect.Effect.Success<ReturnType<typeof validateRun>>
) =>
  Effect.gen(function* () {
    const runs = yield* RunStore
    const scraperSettings = yield* ScraperConfig
    const llmSettings = yield* LlmConfig
    const enricher = yield* Effect.serviceOption(Enricher)
    const { existing, inputPath, inputSha256, stages, validation } = validated ?? (yield* validateRun(options))

    yield* acquireRunLock({ wait: options.wait })

    const settingsSnapshot = {
      stages: [...stages],
      limit: options.limit ?? null,
      retryFailed: options.retryFailed,
      scraper: { ...scraperSettings },
      distributed: settings.distributed,
      llm: {
        // Distributed runs are enriched by the runners, with their own LLM settings.
        ...Option.match(enricher, {
          onNone: () => ({}),
          onSome: (e) => ({ provider: e.provider, model: e.model, promptVersion: e.promptVersion })
        }),
        temperature: llmSettings.temperature,
        maxTokens: llmSettings.maxTokens,
        concurrency: llmSettings.concurrency
      }
    }
    const runId = yield* Option.match(existing, {
      onNone: () => runs.create({ inputPath, inputSha256, settings: settingsSnapshot }),
      onSome: (run) => Effect.as(runs.markRunning(run.id), run.id)
    })
    return { _tag: "Prepared", runId, inputPath, stages, validation, resumed: Option.isSome(existing) } as const satisfies PreparedRun
  })

export const runPipeline = (options: PipelineOptions, context: PipelineContext) =>
  Effect.gen(function* () {
    const validated = yield* validateRun(options)
    if (options.dryRun) {
      const plan = yield* planDryRun({
        inputPath: validated.inputPath,
        delimiter: options.delimiter,
        columns: options.columns,
        limit: options.limit,
        stages: validated.stages,
        retryFailed: options.retryFailed,
        resumeRunId: Option.map(validated.existing, (r) => r.id)
      })
      return { _tag: "DryRun", validation: validated.validation, plan } as const satisfies RunSummary
    }
    // A remote LLM that is down or lacks the model fails the run here, before anything is written.
    const enricher = yield* Effect.serviceOption(Enricher)
    if (validated.stages.has("enrich") && Option.isSome(enricher)) yield* enricher.value.preflight
    const prepared = yield* prepareRun(options, { distributed: false }, validated)
    return yield* executeRun({ ...prepared, options, context }).pipe(Effect.annotateLogs("run_id", prepared.runId))
  }).pipe(Effect.scoped, Effect.withSpan("pipeline.run"))

const executeRun = (args: PreparedRun & { readonly options: PipelineOptions; readonly context: PipelineContext }) =>
  Effect.gen(function* () {
    const { runId, options, stages, context } = args
    const steps = yield* CompanySteps
    const runs = yield* RunStore
    const scraperSettings = yield* ScraperConfig
    const llmSettings = yield* LlmConfig
    const state = new ResumeState(args.resumed ? yield* runs.items(runId) : [])
    const { counters, companies, skipCompany, finish } = yield* openRunSession({
      ...args,
      mode: context.mode,
      shutdown: context.shutdown,
      progressIntervalMs: context.progressIntervalMs
    })

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
        if (!state.isFinished(company.domain, options.retryFailed)) return true
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
      Stream.runDrain
    )
    return yield* finish
  }).pipe(Effect.scoped)
