import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Option, Schema } from "effect"
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
  pages: Schema.Unknown
})
type ScrapeRow = typeof ScrapeRow.Type
const decodeRows = Schema.decodeUnknown(Schema.Array(ScrapeRow))

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
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const columns = sql`domain, status, error_kind AS "errorKind", error_message AS "errorMessage", final_url AS "finalUrl",
      http_status AS "httpStatus", fetched_at AS "fetchedAt", content_hash AS "contentHash", text, pages`

    const fresh = (domain: string, maxAgeDays: number): Effect.Effect<Option.Option<ScrapeResult>, SqlError> =>
      Effect.gen(function* () {
        if (!(maxAgeDays > 0)) return Option.none()
        const rows = yield* Effect.flatMap(
          Number.isFinite(maxAgeDays)
            ? sql`SELECT ${columns} FROM scrapes
                WHERE domain = ${domain} AND fetched_at >= now() - ${maxAgeDays * DAY_SECONDS} * interval '1 second'`
            : sql`SELECT ${columns} FROM scrapes WHERE domain = ${domain}`,
          (r) => Effect.orDie(decodeRows(r))
        )
        return Option.filter(Option.map(Option.fromNullable(rows[0]), toResult), (r) => !r.retryable)
      }).pipe(Effect.withSpan("ScrapeStore.fresh", { attributes: { domain } }))

    /**
     * Replaces what is stored for the domain: the table keeps the latest fetch, whatever its outcome. Text from
     * sites is sanitized here too (the scraper already does): a text column refuses U+0000, and one bad row
     * would fail its whole batch.
     */
    const save = (result: ScrapeResult): Effect.Effect<void, SqlError> =>
      sql`
        INSERT INTO scrapes ${sql.insert({
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
        })}
        ON CONFLICT (domain) DO UPDATE SET
          status = EXCLUDED.status, error_kind = EXCLUDED.error_kind, error_message = EXCLUDED.error_message,
          final_url = EXCLUDED.final_url, http_status = EXCLUDED.http_status, fetched_at = EXCLUDED.fetched_at,
          content_hash = EXCLUDED.content_hash, text = EXCLUDED.text, pages = EXCLUDED.pages`.pipe(
        Effect.asVoid,
        Effect.withSpan("ScrapeStore.save", { attributes: { domain: result.domain, status: result.status } })
      )

    return { fresh, save } as const
  })
}) {}
