import { SqlClient } from "@effect/sql"
import { Effect, Option, Stream } from "effect"
import { ScraperConfig } from "../config/ScraperConfig.js"
import { cleanStream } from "../stages/clean/cleanStream.js"
import { Enricher } from "../stages/enrich/Enricher.js"
import { estimateTokens, inputHash } from "../stages/enrich/inputHash.js"
import { loadCsv } from "../stages/load/loadCsv.js"
import { mergeCompany } from "../stages/merge/mergeCompany.js"
import { ScrapeStore } from "../stages/scrape/ScrapeStore.js"
import { RunStore } from "./RunStore.js"
import type { StageName } from "./StageName.js"

export interface DryRunPlan {
  readonly companies: number
  readonly finished: number
  readonly toScrape: number
  readonly scrapeCached: number
  readonly toEnrich: number
  readonly enrichCached: number
  readonly estimatedInputTokens: number
  readonly estimatedOutputTokens: number
  readonly provider: string
  readonly model: string
}

/** Tokens a typical answer takes (the schema's fields at their usual length). */
const ESTIMATED_OUTPUT_TOKENS = 350

/** What a run would do, from the caches and the resumed run's progress, without fetching or sending anything. */
export const planDryRun = (args: {
  inputPath: string
  delimiter: string | undefined
  columns?: string | undefined
  limit: number | undefined
  stages: ReadonlySet<StageName>
  retryFailed: boolean
  resumeRunId: Option.Option<number>
}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const runs = yield* RunStore
    const scrapeStore = yield* ScrapeStore
    const enricher = yield* Enricher
    const scraper = yield* ScraperConfig
    const persisted = new Set(
      Option.isSome(args.resumeRunId)
        ? (yield* runs.items(args.resumeRunId.value))
            .filter((i) => i.stage === "persist" && i.status === "succeeded")
            .map((i) => i.domain)
        : []
    )
    const plan = {
      companies: 0,
      finished: 0,
      toScrape: 0,
      scrapeCached: 0,
      toEnrich: 0,
      enrichCached: 0,
      estimatedInputTokens: 0,
      estimatedOutputTokens: 0,
      provider: enricher.provider,
      model: enricher.model
    }
    const companies = cleanStream(loadCsv(args.inputPath, { delimiter: args.delimiter, columns: args.columns })).pipe(
      Stream.filterMap((o) => (o._tag === "Accepted" ? Option.some(o.company) : Option.none())),
      args.limit === undefined ? (s) => s : Stream.take(args.limit)
    )
    yield* Stream.runForEach(companies, (company) =>
      Effect.gen(function* () {
        plan.companies++
        if (persisted.has(company.domain)) {
          plan.finished++
          return
        }
        const cached = yield* scrapeStore.fresh(company.domain, args.stages.has("scrape") ? scraper.maxAgeDays : Number.POSITIVE_INFINITY)
        const usable = Option.filter(cached, (r) => !(args.retryFailed && r.status === "failed"))
        if (args.stages.has("scrape")) {
          if (Option.isSome(usable)) plan.scrapeCached++
          else plan.toScrape++
        }
        if (!args.stages.has("enrich")) return
        const input = mergeCompany(company, Option.getOrNull(usable))
        if (Option.isSome(usable) || !args.stages.has("scrape")) {
          const hash = inputHash(input, enricher)
          const hit = yield* sql`SELECT 1 FROM enrichments WHERE input_hash = ${hash}`
          if (hit.length > 0) {
            plan.enrichCached++
            return
          }
        }
        plan.toEnrich++
        if (enricher.provider !== "heuristic") {
          plan.estimatedInputTokens += estimateTokens(input)
          plan.estimatedOutputTokens += ESTIMATED_OUTPUT_TOKENS
        }
      })
    )
    return plan satisfies DryRunPlan
  })
