import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { ScraperConfig } from "../config/ScraperConfig.js"
import type { CleanCompany } from "../schema/CleanCompany.js"
import type { ScrapeResult } from "../schema/ScrapeResult.js"
import { Enricher } from "../stages/enrich/Enricher.js"
import { mergeCompany } from "../stages/merge/mergeCompany.js"
import { CompanyWriter, type EnrichmentOutcome } from "../stages/persist/CompanyWriter.js"
import { Scraper } from "../stages/scrape/Scraper.js"
import { ScrapeStore } from "../stages/scrape/ScrapeStore.js"
import { type ItemRecord, RunStore } from "./RunStore.js"
import type { StageName } from "./StageName.js"

/** One company on its way through scrape → merge → enrich, before it is persisted. */
export interface CompanyInFlight {
  readonly company: CleanCompany
  /** null: the scrape stage did not run and nothing was stored for the domain. */
  readonly scrape: ScrapeResult | null
  /** Whether this run scraped (or reused a cached scrape): only then is a scrape item recorded. */
  readonly scraped: boolean
  readonly enrichment: EnrichmentOutcome
}

export interface StepOptions {
  readonly stages: ReadonlySet<StageName>
  readonly retryFailed: boolean
}

export const scrapeItem = (result: ScrapeResult): ItemRecord => ({
  domain: result.domain,
  stage: "scrape",
  status: result.status === "success" ? "succeeded" : result.status === "skipped" ? "skipped" : "failed",
  errorKind: result.errorKind,
  errorMessage: result.errorMessage,
  retryable: result.retryable,
  outputHash: result.contentHash,
  inputTokens: 0,
  outputTokens: 0
})

export const enrichItem = (domain: string, outcome: EnrichmentOutcome): ItemRecord | null => {
  switch (outcome._tag) {
    case "Enriched":
      return {
        domain,
        stage: "enrich",
        status: "succeeded",
        errorKind: null,
        errorMessage: null,
        retryable: false,
        outputHash: outcome.result.inputHash,
        inputTokens: outcome.result.cached ? 0 : outcome.result.inputTokens,
        outputTokens: outcome.result.cached ? 0 : outcome.result.outputTokens
      }
    case "EnrichFailed":
      return {
        domain,
        stage: "enrich",
        status: "failed",
        errorKind: outcome.error.reason,
        errorMessage: outcome.error.message,
        retryable: outcome.error.retryable,
        outputHash: null,
        inputTokens: 0,
        outputTokens: 0
      }
    case "NotEnriched":
      return null
  }
}

const persistItem = (domain: string): ItemRecord => ({
  domain,
  stage: "persist",
  status: "succeeded",
  errorKind: null,
  errorMessage: null,
  retryable: false,
  outputHash: null,
  inputTokens: 0,
  outputTokens: 0
})

/** The terminal items one company's pass writes, in the transaction that persists it. */
export const itemsOf = (company: CompanyInFlight, stages: ReadonlySet<StageName>): Array<ItemRecord> => {
  const items: Array<ItemRecord> = []
  if (company.scraped && company.scrape) items.push(scrapeItem(company.scrape))
  const e = enrichItem(company.company.domain, company.enrichment)
  if (e) items.push(e)
  if (stages.has("persist")) items.push(persistItem(company.company.domain))
  return items
}

/**
 * The per-company stage code, shared by the single-process stream and the distributed workflow: each step
 * turns failures into data (a failed scrape, an `EnrichFailed`), so a company always reaches persist.
 */
export class CompanySteps extends Effect.Service<CompanySteps>()("CompanySteps", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const scraper = yield* Scraper
    const scrapeStore = yield* ScrapeStore
    const enricher = yield* Enricher
    const writer = yield* CompanyWriter
    const runs = yield* RunStore
    const scraperSettings = yield* ScraperConfig

    /** A fresh stored scrape when there is one (a failure is retried only with retryFailed), else a fetch. */
    const scrape = (company: CleanCompany, options: StepOptions) =>
      Effect.gen(function* () {
        if (!options.stages.has("scrape")) {
          const stored = yield* scrapeStore.fresh(company.domain, Number.POSITIVE_INFINITY)
          return { scrape: Option.getOrNull(stored), scraped: false }
        }
        const cached = yield* scrapeStore.fresh(company.domain, scraperSettings.maxAgeDays)
        const reusable = Option.filter(cached, (r) => !(options.retryFailed && r.status === "failed"))
        const result = Option.isSome(reusable)
          ? reusable.value
          : yield* Effect.tap(scraper.scrape(company.domain), (r) => scrapeStore.save(r))
        return { scrape: result, scraped: true }
      }).pipe(Effect.withSpan("stage.scrape", { attributes: { domain: company.domain } }))

    const enrich = (company: CleanCompany, scraped: ScrapeResult | null, options: Pick<StepOptions, "stages">) =>
      Effect.gen(function* () {
        if (!options.stages.has("enrich")) return { _tag: "NotEnriched" } as EnrichmentOutcome
        return yield* enricher.enrich(mergeCompany(company, scraped)).pipe(
          Effect.match({
            onSuccess: (result): EnrichmentOutcome => ({ _tag: "Enriched", result }),
            onFailure: (error): EnrichmentOutcome => ({ _tag: "EnrichFailed", error })
          })
        )
      }).pipe(Effect.withSpan("stage.enrich", { attributes: { domain: company.domain } }))

    /**
     * Companies and their terminal items in one transaction. `attempt` pins the items' attempt number (a
     * replayed workflow step writes the same row twice without counting twice); without it, it counts up.
     */
    const persist = (
      runId: number,
      batch: ReadonlyArray<CompanyInFlight>,
      options: Pick<StepOptions, "stages"> & { readonly attempt?: number }
    ) =>
      sql.withTransaction(
        Effect.gen(function* () {
          if (options.stages.has("persist")) {
            yield* writer.upsertBatch(batch.map((b) => ({ company: b.company, scrape: b.scrape, enrichment: b.enrichment })))
          }
          yield* runs.recordItems(
            runId,
            batch.flatMap((b) => itemsOf(b, options.stages)),
            options.attempt
          )
        })
      ).pipe(Effect.withSpan("stage.persist", { attributes: { size: batch.length } }))

    return { scrape, enrich, persist } as const
  })
}) {}
