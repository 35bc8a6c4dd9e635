import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Option, Schema } from "effect"
import { batchedLookup } from "../../db/batchedLookup.js"
import { batchedUpsert } from "../../db/batchedUpsert.js"
import { sanitizeText } from "../../schema/sanitizeText.js"
import { type ScrapedPage, type ScrapeResult, ScrapeStatus } from "../../schema/ScrapeResult.js"
import { isRetryable } from "./ScrapeError.js"

const ScrapeRow = Schema.Struct({
  domain: Schema.String,
  status: ScrapeStatus,
  errorKind: Schema.NullOr(Schema.String),
  errorMessage: Schema.NullOr(Schema.String),
  finalUrl: Schema.NullOr(Schema.String),
  httpStatus: Schema.NullOr(Schema.Number),
  fetchedAt: Schema.DateFromSelf,
  contentHash: Schema.NullOr(Schema.String),
  text: Schema.NullOr(Schema.String),
  // Checked page by page below: a malformed entry is dropped, not the whole scrape.
  pages: Schema.Unknown,
  // Computed by the database, so the max age is measured against its clock as a `WHERE` on it would be.
  ageSeconds: Schema.Number
})
type ScrapeRow = typeof ScrapeRow.Type

const ScrapeInsert = Schema.Struct({
  domain: Schema.String,
  status: ScrapeStatus,
  error_kind: Schema.NullOr(Schema.String),
  error_message: Schema.NullOr(Schema.String),
  final_url: Schema.NullOr(Schema.String),
  http_status: Schema.NullOr(Schema.Number),
  fetched_at: Schema.DateFromSelf,
  content_hash: Schema.NullOr(Schema.String),
  text: Schema.NullOr(Schema.String),
  pages: Schema.String
})

const DAY_SECONDS = 86_400

const toPages = (value: unknown): ReadonlyArray<ScrapedPage> =>
  Array.isArray(value)
    ? value.filter((p): p is ScrapedPage => typeof p?.url === "string" && typeof p?.httpStatus === "number")
    : []

const toResult = (row: ScrapeRow): ScrapeResult => ({
  domain: row.domain,
  status: row.status,
  errorKind: row.errorKind,
  errorMessage: row.errorMessage,
  // Not stored: it follows from the kind and status, exactly as ScrapeError.retryable computes it.
  retryable: row.status === "failed" && row.errorKind !== null && isRetryable(row.errorKind, row.httpStatus),
  finalUrl: row.finalUrl,
  httpStatus: row.httpStatus,
  fetchedAt: row.fetchedAt,
  contentHash: row.contentHash,
  text: row.text,
  pages: toPages(row.pages)
})

/**
 * The latest scrape of each domain (table `scrapes`), what SCRAPE_MAX_AGE is checked against.
 *
 * Fresh means fetched within the max age and worth reusing: successes, robots.txt skips and failures that
 * would fail the same way again (DNS, 404, not HTML, blocked address...). A transient failure (timeout,
 * reset, 429, 5xx: `retryable`) is never fresh, so the next run tries that domain again.
 */
export class ScrapeStore extends Effect.Service<ScrapeStore>()("ScrapeStore", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const latest = yield* batchedLookup("ScrapeStore.fresh", {
      Result: ScrapeRow,
      key: (row) => row.domain,
      select: (domains) =>
        sql`SELECT domain, status, error_kind AS "errorKind", error_message AS "errorMessage", final_url AS "finalUrl",
            http_status AS "httpStatus", fetched_at AS "fetchedAt", content_hash AS "contentHash", text, pages,
            extract(epoch FROM now() - fetched_at)::float8 AS "ageSeconds"
          FROM scrapes WHERE domain IN ${sql.in(domains)}`
    })

    const upsert = yield* batchedUpsert("ScrapeStore.save", {
      Row: ScrapeInsert,
      key: (row) => row.domain,
      write: (rows) =>
        sql`
          INSERT INTO scrapes ${sql.insert(rows)}
          ON CONFLICT (domain) DO UPDATE SET
            status = EXCLUDED.status, error_kind = EXCLUDED.error_kind, error_message = EXCLUDED.error_message,
            final_url = EXCLUDED.final_url, http_status = EXCLUDED.http_status, fetched_at = EXCLUDED.fetched_at,
            content_hash = EXCLUDED.content_hash, text = EXCLUDED.text, pages = EXCLUDED.pages`
    })

    /** Concurrent calls share one statement (see batchedLookup). */
    const fresh = (domain: string, maxAgeDays: number): Effect.Effect<Option.Option<ScrapeResult>, SqlError> =>
      Effect.gen(function* () {
        if (!(maxAgeDays > 0)) return Option.none()
        const row = yield* latest(domain)
        return row.pipe(
          Option.filter((r) => !Number.isFinite(maxAgeDays) || r.ageSeconds <= maxAgeDays * DAY_SECONDS),
          Option.map(toResult),
          Option.filter((r) => !r.retryable)
        )
      }).pipe(Effect.withSpan("ScrapeStore.fresh", { attributes: { domain } }))

    /**
     * Replaces what is stored for the domain: the table keeps the latest fetch, whatever its outcome. Text from
     * sites is sanitized here too (the scraper already does): a text column refuses U+0000, and one bad row
     * would send its whole batch row by row. Concurrent calls share one statement (see batchedUpsert).
     */
    const save = (result: ScrapeResult): Effect.Effect<void, SqlError> =>
      upsert({
        domain: result.domain,
        status: result.status,
        error_kind: result.errorKind,
        error_message: result.errorMessage === null ? null : sanitizeText(result.errorMessage),
        final_url: result.finalUrl === null ? null : sanitizeText(result.finalUrl),
        http_status: result.httpStatus,
        fetched_at: result.fetchedAt,
        content_hash: result.contentHash,
        text: result.text === null ? null : sanitizeText(result.text),
        pages: JSON.stringify(result.pages)
      }).pipe(Effect.withSpan("ScrapeStore.save", { attributes: { domain: result.domain, status: result.status } }))

    return { fresh, save } as const
  })
}) {}
