import type { LlmSettings } from "../config/LlmConfig.js"
import type { ScraperSettings } from "../config/ScraperConfig.js"
import type { StageName } from "./StageName.js"

export interface StagePlan {
  readonly name: StageName
  readonly does: string
  readonly concurrency: string
  readonly retry: string
  readonly errors: string
  readonly recordsProgress: string
}

export const PERSIST_BATCH_SIZE = 100
export const PERSIST_BATCH_WINDOW_MS = 250

/** The pipeline as data: its stages, their order and settings. `--plan` prints it; the runner follows it. */
export const pipelinePlan = (settings: {
  scraper: ScraperSettings
  llm: LlmSettings
  provider: string
}): ReadonlyArray<StagePlan> => [
  {
    name: "load",
    does: "stream the CSV (csv-parse), detect delimiter, map headers",
    concurrency: "1 (streaming, backpressured)",
    retry: "none: bad input stops the run before anything is written (exit 2)",
    errors: "LoadError (FileNotFound | Unreadable | InvalidEncoding | MissingColumns | MalformedCsv | EmptyFile)",
    recordsProgress: "runs.input_sha256"
  },
  {
    name: "clean",
    does: "normalize domain, employee count, name, country; drop duplicates",
    concurrency: "1 (pure, in stream)",
    retry: "none: rejected rows are recorded with a reason",
    errors: "none (rejections are values) | SqlError saving them",
    recordsProgress: "rejected_rows"
  },
  {
    name: "scrape",
    does: "fetch homepage (+ extra pages), robots.txt, SSRF guard, extract main text",
    concurrency: `${settings.scraper.concurrency} global, 1 per host`,
    retry: `transient only, exponential + jitter, max ${settings.scraper.maxRetries} retries, Retry-After honoured`,
    errors: "none (failures are results: Timeout, DnsFailure, HttpStatus, RobotsDisallowed, ...) | SqlError",
    recordsProgress: `scrapes (reused for ${settings.scraper.maxAgeDays} days), run_items`
  },
  {
    name: "merge",
    does: "join the cleaned row with its website text",
    concurrency: "in stream (pure)",
    retry: "none",
    errors: "none",
    recordsProgress: "-"
  },
  {
    name: "enrich",
    does: `score with provider '${settings.provider}' (ICP fit, segment, use case, risks, pitch)`,
    concurrency: `${settings.llm.concurrency}${settings.llm.requestsPerMinute._tag === "Some" ? `, ${settings.llm.requestsPerMinute.value}/min` : ""}`,
    retry: `transient: exponential + jitter, max ${settings.llm.maxRetries}; invalid output: once with the error fed back`,
    errors: "EnrichError (Timeout | RateLimited | ServerError | Connection | InvalidOutput | Refused | Unknown) | SqlError",
    recordsProgress: "enrichments (cache by input hash), run_items"
  },
  {
    name: "persist",
    does: "upsert companies by domain",
    concurrency: `batches of ${PERSIST_BATCH_SIZE} in one transaction`,
    retry: "none: a database error fails the run, --resume continues it",
    errors: "SqlError",
    recordsProgress: "companies, run_items, run_stages"
  }
]

export const formatPlan = (plan: ReadonlyArray<StagePlan>) => {
  const lines = [plan.map((s) => s.name).join(" → "), ""]
  for (const stage of plan) {
    lines.push(`${stage.name}`)
    lines.push(`  does:        ${stage.does}`)
    lines.push(`  concurrency: ${stage.concurrency}`)
    lines.push(`  retry:       ${stage.retry}`)
    lines.push(`  errors:      ${stage.errors}`)
    lines.push(`  progress:    ${stage.recordsProgress}`)
  }
  lines.push("", "scrape → merge → enrich → persist stream per company, each stage with its own bound.")
  return lines.join("\n")
}
