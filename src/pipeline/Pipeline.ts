import { Effect, Option, Stream } from "effect"
import { EnrichErrorReason } from "../schema/EnrichError.js"
import { EnrichmentInput } from "../stages/enrich/EnrichmentInput.js"
import { EnrichmentOutcome } from "../schema/EnrichmentOutcome.js"
import { ScrapeOutcome } from "../schema/ScrapeOutcome.js"
import type { CleanOutcome } from "../stages/clean/CleanOutcome.js"
import { cleanStream } from "../stages/clean/cleanStream.js"
import { Enricher } from "../stages/enrich/Enricher.js"
import { EnrichmentCache } from "../stages/enrich/EnrichmentCache.js"
import { estimateTokens, inputHash } from "../stages/enrich/inputHash.js"
import { loadCsv } from "../stages/load/loadCsv.js"
import { LoadErrorReason } from "../stages/load/LoadError.js"
import type { RawRow } from "../stages/load/RawRow.js"
import { mergeCompany } from "../stages/merge/mergeCompany.js"
import { CompanyWriter } from "../stages/persist/CompanyWriter.js"
import { Scraper } from "../stages/scrape/Scraper.js"
import { ScrapeErrorReason } from "../stages/scrape/ScrapeError.js"
import { ScrapeStore } from "../stages/scrape/ScrapeStore.js"
import { definePipeline } from "./definePipeline.js"
import type { InputSource } from "./InputSource.js"
import { enrichItem, persistItem, scrapeItem } from "./itemRecords.js"
import { errorSpec, makeStage } from "./Stage.js"

/** Tokens a typical answer takes (the schema's fields at their usual length), for `--dry-run`'s estimate. */
const ESTIMATED_OUTPUT_TOKENS = 350
/** More companies in flight than request slots keeps those slots busy through redirects, robots.txt turns and page processing. */
const SCRAPE_FEED_FACTOR = 3

export const load = makeStage({
  kind: "input",
  name: "load",
  produces: "RawRow",
  does: () => "stream the CSV (csv-parse), detect delimiter, map headers",
  bound: () => ({ concurrency: 1, describe: "1 (streaming, backpressured)" }),
  retry: () => "none: bad input stops the run before anything is written (exit 2)",
  errors: [errorSpec("LoadError", LoadErrorReason)],
  records: () => "runs.input_sha256",
  run: (sources: Stream.Stream<InputSource>) =>
    Stream.flatMap(sources, (source) => loadCsv(source.path, { delimiter: source.delimiter, columns: source.columns })),
  count: (_row: RawRow) => "done"
})

export const clean = makeStage({
  kind: "input",
  name: "clean",
  upstream: [load],
  produces: "CleanOutcome",
  does: () => "normalize domain, employee count, name, country; drop duplicates",
  bound: () => ({ concurrency: 1, describe: "1 (pure, in stream)" }),
  retry: () => "none: rejected rows are recorded with a reason",
  errors: [errorSpec("SqlError saving rejections")],
  records: () => "rejected_rows",
  run: (rows: Stream.Stream<RawRow>) => cleanStream(rows),
  count: (outcome: CleanOutcome) =>
    outcome._tag === "Accepted" ? "done" : outcome.rejection.reason === "Duplicate" ? "duplicates" : "rejected"
})

export const scrape = makeStage({
  kind: "company",
  name: "scrape",
  upstream: [clean],
  produces: "ScrapeOutcome",
  output: ScrapeOutcome,
  does: () => "fetch homepage (+ extra pages), robots.txt, SSRF guard, extract main text",
  bound: (s) => ({ concurrency: s.scraper.concurrency * SCRAPE_FEED_FACTOR, describe: `${s.scraper.concurrency} global, 1 per host` }),
  retry: (s) => `transient only, exponential + jitter, max ${s.scraper.maxRetries} retries, Retry-After honoured`,
  errors: [errorSpec("ScrapeError (a result, not a failure)", ScrapeErrorReason), errorSpec("SqlError")],
  records: (s) => `scrapes (reused for ${s.scraper.maxAgeDays} days), run_items`,
  run: (company, options) =>
    Effect.gen(function* () {
      const store = yield* ScrapeStore
      const { domain } = company.company
      if (!options.selected) {
        return { scrape: Option.getOrNull(yield* store.fresh(domain, Number.POSITIVE_INFINITY)), scraped: false }
      }
      const cached = yield* store.fresh(domain, options.settings.scraper.maxAgeDays)
      const reusable = Option.filter(cached, (r) => !(options.retryFailed && r.status === "failed"))
      if (Option.isSome(reusable)) return { scrape: reusable.value, scraped: true }
      const scraper = yield* Scraper
      const result = yield* scraper.scrape(domain)
      yield* store.save(result)
      return { scrape: result, scraped: true }
    }).pipe(Effect.withSpan("stage.scrape", { attributes: { domain: company.company.domain } })),
  outcome: (o) => (!o.scraped || !o.scrape ? null : o.scrape.status === "success" ? "done" : o.scrape.status === "skipped" ? "skipped" : "failed"),
  item: (_company, o) => (o.scraped && o.scrape ? scrapeItem(o.scrape) : null),
  previewLabel: "fetch websites",
  preview: (company, options) =>
    Effect.gen(function* () {
      const store = yield* ScrapeStore
      const maxAge = options.selected ? options.settings.scraper.maxAgeDays : Number.POSITIVE_INFINITY
      const usable = Option.filter(yield* store.fresh(company.company.domain, maxAge), (r) => !(options.retryFailed && r.status === "failed"))
      return Option.isSome(usable)
        ? { output: { scrape: usable.value, scraped: options.selected }, work: "cached" as const }
        : { output: { scrape: null, scraped: options.selected }, work: options.selected ? ("todo" as const) : ("cached" as const) }
    })
})

export const merge = makeStage({
  kind: "company",
  name: "merge",
  upstream: [clean, scrape],
  produces: "EnrichmentInput",
  output: EnrichmentInput,
  pure: true,
  does: () => "join the cleaned row with its website text",
  bound: () => ({ concurrency: 1, describe: "in stream (pure)" }),
  run: (company) => Effect.succeed(mergeCompany(company.company, company.get(scrape).scrape))
})

export const enrich = makeStage({
  kind: "company",
  name: "enrich",
  upstream: [merge],
  produces: "EnrichmentOutcome",
  output: EnrichmentOutcome,
  callsLlm: true,
  does: (s) => `score with provider '${s.provider}' (ICP fit, segment, use case, risks, pitch)`,
  bound: (s) => ({
    concurrency: s.llm.concurrency,
    describe: `${s.llm.concurrency}${Option.isSome(s.llm.requestsPerMinute) ? `, ${s.llm.requestsPerMinute.value}/min` : ""}`
  }),
  retry: (s) => `transient: exponential + jitter, max ${s.llm.maxRetries}; invalid output: once with the error fed back`,
  errors: [errorSpec("EnrichError (a result, not a failure)", EnrichErrorReason), errorSpec("SqlError")],
  records: () => "enrichments (cache by input hash), run_items",
  // A remote LLM that is down or lacks the model fails the run before anything is written.
  preflight: () => Effect.flatMap(Enricher, (enricher) => enricher.preflight),
  run: (company, options) =>
    options.selected
      ? Effect.flatMap(Enricher, (enricher) => enricher.enrich(company.get(merge))).pipe(
          Effect.match({
            onSuccess: (result): EnrichmentOutcome => ({ _tag: "Enriched", result }),
            onFailure: (error): EnrichmentOutcome => ({ _tag: "EnrichFailed", error })
          }),
          Effect.withSpan("stage.enrich", { attributes: { domain: company.company.domain } })
        )
      : Effect.succeed<EnrichmentOutcome>({ _tag: "NotEnriched" }),
  outcome: (o) => (o._tag === "NotEnriched" ? null : o._tag === "Enriched" ? "done" : "failed"),
  item: (c, o) => enrichItem(c.domain, o),
  previewLabel: "LLM calls",
  preview: (company, options, upstreamTodo) =>
    Effect.gen(function* () {
      const output: EnrichmentOutcome = { _tag: "NotEnriched" }
      if (!options.selected) return { output, work: "cached" as const }
      const enricher = yield* Enricher
      const input = company.get(merge)
      if (!upstreamTodo && Option.isSome(yield* Effect.flatMap(EnrichmentCache, (cache) => cache.get(inputHash(input, enricher))))) {
        return { output, work: "cached" as const }
      }
      return {
        output,
        work: "todo" as const,
        ...(enricher.provider === "heuristic" ? {} : { estimatedTokens: { input: estimateTokens(input), output: ESTIMATED_OUTPUT_TOKENS } })
      }
    })
})

export const PERSIST_BATCH_SIZE = 100
export const PERSIST_BATCH_WINDOW_MS = 250

export const persist = makeStage({
  kind: "sink",
  name: "persist",
  upstream: [clean, scrape, enrich],
  produces: "companies rows",
  does: () => "upsert companies by domain",
  bound: () => ({ concurrency: 1, describe: `batches of ${PERSIST_BATCH_SIZE} in one transaction` }),
  retry: () => "none: a database error fails the run, --resume continues it",
  errors: [errorSpec("SqlError")],
  records: () => "companies, run_items, run_stages",
  batch: { size: PERSIST_BATCH_SIZE, windowMs: PERSIST_BATCH_WINDOW_MS },
  run: (batch) =>
    Effect.flatMap(CompanyWriter, (writer) =>
      writer.upsertBatch(batch.map((c) => ({ company: c.company, scrape: c.get(scrape).scrape, enrichment: c.get(enrich) })))
    ),
  item: (company) => persistItem(company.domain)
})

/** The pipeline: the one place its stages and their order are written. */
export const Pipeline = definePipeline([load, clean, scrape, merge, enrich, persist])
export type DefaultPipeline = typeof Pipeline
