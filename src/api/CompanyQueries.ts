import { SqlClient, type Statement } from "@effect/sql"
import { Chunk, Effect, Option, Stream } from "effect"
import { ApiCacheConfig } from "../config/ApiConfig.js"
import { normalizeCountry } from "../stages/clean/normalizeCountry.js"
import { CompaniesVersion } from "./CompaniesVersion.js"
import type { CompanyFilters, CompanyListRequest } from "./CompanyListQuery.js"
import type { CompanySort, CompanySortField } from "./CompanySort.js"
import { companyCursorScope } from "./CompanyListQuery.js"
import { encodeCursor } from "./Cursor.js"
import { encodedBody, type EncodedBody } from "./EncodedBody.js"
import { makeVersionedCache } from "./VersionedCache.js"

/**
 * A page of companies, with the response body already encoded: the rows are JSON made by the database,
 * the server only joins them, once (a cached page is sent as these bytes).
 */
export interface CompanyPage {
  readonly total: number
  readonly nextCursor: string | null
  /** `{"total":…,"companies":[…],"next_cursor":…}` as UTF-8. */
  readonly body: EncodedBody
}

const encoder = new TextEncoder()

/** One company as the CSV export writes it. */
export interface CompanyCsvRow {
  readonly id: number
  readonly companyName: string
  readonly domain: string
  readonly country: string | null
  readonly countryCode: string | null
  readonly countryName: string | null
  readonly employeeCount: number | null
  readonly industry: string | null
  readonly websiteUrl: string | null
  readonly icpFitScore: number | null
  readonly segment: string | null
  readonly primaryUseCase: string | null
  readonly riskFlags: ReadonlyArray<string>
  readonly personalizedPitch: string | null
  readonly confidence: number | null
  readonly overrideScore: number | null
  readonly overrideSegment: string | null
  readonly overrideStatus: string | null
  readonly overrideNote: string | null
  readonly effectiveScore: number | null
  readonly effectiveSegment: string | null
  readonly enrichmentStatus: string
  readonly scrapingStatus: string
  readonly updatedAt: string
}

/** Counts per value of one facet; `label` is the country's name for a country code. */
export interface FacetCount {
  readonly value: string
  readonly label: string
  readonly count: number
}

export interface CompanyFacets {
  readonly total: number
  readonly segment: ReadonlyArray<FacetCount>
  readonly country: ReadonlyArray<FacetCount>
  readonly industry: ReadonlyArray<FacetCount>
}

export interface EnrichmentHistoryEntry {
  readonly run_id: number | null
  readonly provider: string
  readonly model: string
  readonly prompt_version: string
  readonly score: number | null
  readonly segment: string | null
  readonly created_at: string
}

/** The latest fetch of a company's site (the scrapes table), as the company page shows it. */
export interface ScrapeDetails {
  readonly status: string
  readonly final_url: string | null
  readonly http_status: number | null
  readonly error: string | null
  readonly fetched_at: string
  readonly text: string | null
}

/**
 * Sort keys are never NULL, so keyset comparisons stay plain row comparisons an index can serve: an
 * unscored company ranks below every score, an unknown size below every size. Names sort by their
 * lowercase form in byte order, the same on every server whatever its locale. Migration 0030 indexes
 * exactly these expressions.
 */
const sortKeySql: Record<CompanySortField, string> = {
  score: "COALESCE(effective_score, -1)",
  employee_count: "COALESCE(employee_count, -1)",
  name: `(lower(company_name) COLLATE "C")`,
  updated_at: "updated_at",
  segment: `(COALESCE(effective_segment, '') COLLATE "C")`,
  country: `(COALESCE(country_name, country, '') COLLATE "C")`,
  industry: `(lower(COALESCE(industry_raw, '')) COLLATE "C")`
}

/** The key as the cursor carries it: timestamps at full microsecond precision, which a JS Date would lose. */
const cursorKeySql: Record<CompanySortField, string> = {
  ...sortKeySql,
  updated_at: `to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
}

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/** The company object of every JSON response; test/api*.test.ts decodes it with CompanyResponse. */
const companyJsonSql = `json_build_object(
  'id', id,
  'company_name', company_name,
  'domain', domain,
  'country', country,
  'country_code', country_code,
  'country_name', country_name,
  'employee_count', employee_count,
  'industry_raw', industry_raw,
  'website_url', website_url,
  'website_text_snippet', website_text_snippet,
  'scraping_status', scraping_status,
  'scraping_error', scraping_error,
  'icp_fit_score', icp_fit_score,
  'segment', segment,
  'primary_use_case', primary_use_case,
  'risk_flags', risk_flags,
  'personalized_pitch', personalized_pitch,
  'score_rationale', score_rationale,
  'confidence', confidence,
  'enrichment_provider', enrichment_provider,
  'enrichment_model', enrichment_model,
  'prompt_version', prompt_version,
  'override', CASE WHEN override_at IS NULL THEN NULL ELSE json_build_object(
    'score', override_score,
    'segment', override_segment,
    'status', override_status,
    'note', override_note,
    'author', override_author,
    'updated_at', ${iso("override_at")}
  ) END,
  'effective', json_build_object('score', effective_score, 'segment', effective_segment, 'status', override_status),
  'enrichment_status', enrichment_status,
  'enrichment_error', enrichment_error,
  'scraped_at', ${iso("scraped_at")},
  'enriched_at', ${iso("enriched_at")},
  'created_at', ${iso("created_at")},
  'updated_at', ${iso("updated_at")}
)::text`

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/**
 * The filter's words as a Postgres regular expression matching them whole and in order (ARE word
 * boundaries, where the text starts or ends with a word character), any run of spaces between them.
 */
const wordPattern = (text: string) => {
  const words = text.trim().split(/\s+/)
  const body = words.map((word) => word.replace(/[\\^$.|?*+()[\]{}]/g, (c) => `\\${c}`)).join("\\s+")
  const wordChar = /[\p{L}\p{N}_]/u
  return `${wordChar.test(words[0]!.charAt(0)) ? "\\m" : ""}${body}${wordChar.test(words.at(-1)!.slice(-1)) ? "\\M" : ""}`
}

const EXPORT_BATCH = 1000
const FACET_LIMIT = 30
const MAX_CACHED_TOTALS = 1000
const MAX_CACHED_PAGES = 2000

export class CompanyQueries extends Effect.Service<CompanyQueries>()("CompanyQueries", {
  dependencies: [CompaniesVersion.Default],
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const versions = yield* CompaniesVersion
    const cacheBytes = (yield* ApiCacheConfig) * 1024 * 1024

    const where = (filters: CompanyFilters): Statement.Fragment => {
      const clauses: Array<Statement.Fragment> = []
      if (filters.enrichmentStatus !== "any") clauses.push(sql`enrichment_status = ${filters.enrichmentStatus}`)
      if (filters.minScore !== undefined || filters.maxScore !== undefined) {
        // Written on the sort key so that one index serves the range, the order and the count.
        clauses.push(sql`${sql.literal(sortKeySql.score)} BETWEEN ${filters.minScore ?? 0} AND ${filters.maxScore ?? 100}`)
      }
      if (filters.country !== undefined) {
        const normalized = normalizeCountry(filters.country)
        // The clean stage stores the code of every country it recognizes, so a recognized value matches on
        // the code whatever spelling the input used; anything else matches the raw text.
        clauses.push(
          normalized
            ? sql`country_code = ${normalized.code}`
            : sql`lower(country) = lower(${filters.country})`
        )
      }
      if (filters.segment !== undefined) clauses.push(sql`effective_segment = ${filters.segment}`)
      if (filters.industry !== undefined) clauses.push(sql`industry_raw ~* ${wordPattern(filters.industry)}`)
      if (filters.override === "overridden") clauses.push(sql`override_at IS NOT NULL`)
      if (filters.override === "none") clauses.push(sql`override_at IS NULL`)
      if (filters.status !== undefined) clauses.push(sql`override_status = ${filters.status}`)
      if (filters.q !== undefined) {
        const pattern = likePattern(filters.q)
        clauses.push(sql`(company_name ILIKE ${pattern} OR domain ILIKE ${pattern})`)
      }
      return sql.and(clauses)
    }

    const after = (sort: CompanySort, key: number | string, id: number) => {
      const keyExpr = sql.literal(sortKeySql[sort.field])
      const keyValue =
        sort.field === "updated_at"
          ? sql`${key}::timestamptz`
          : sort.field === "score" || sort.field === "employee_count"
            ? sql`${key}::int`
            : sql`(${key}::text COLLATE "C")`
      return sort.direction === "asc" ? sql`(${keyExpr}, id) > (${keyValue}, ${id}::bigint)` : sql`(${keyExpr}, id) < (${keyValue}, ${id}::bigint)`
    }

    const orderBy = (sort: CompanySort) =>
      sql.literal(`${sortKeySql[sort.field]} ${sort.direction.toUpperCase()}, id ${sort.direction.toUpperCase()}`)

    /** The total and the data version it was counted at, read in one statement (one snapshot). */
    const countStatement = (filters: CompanyFilters) =>
      sql<{ total: number; version: number }>`
        SELECT count(*) AS total, (SELECT version FROM companies_version) AS version
        FROM companies WHERE ${where(filters)}`

    const countAt = (filters: CompanyFilters) =>
      Effect.map(countStatement(filters), (rows) => rows[0] ?? { total: 0, version: 0 })

    // The count over every matching row is the costly part of a page and is the same for every page of a
    // listing; pages themselves repeat too (dashboards, first pages). Both are reused only at the data
    // version they were read at (migrations 0031–0032): after a write they are no longer reached once the
    // server knows the new version, within the notification delay (see CompaniesVersion).
    const totals = makeVersionedCache<number>({ maxEntries: MAX_CACHED_TOTALS, maxBytes: Number.MAX_SAFE_INTEGER, sizeOf: () => 16 })
    const pages = makeVersionedCache<CompanyPage>({
      maxEntries: cacheBytes > 0 ? MAX_CACHED_PAGES : 0,
      maxBytes: cacheBytes,
      // Counted twice over: room for the gzip form that may be kept beside it.
      sizeOf: (page) => page.body.bytes.byteLength * 2 + 64
    })

    const totalAt = (filters: CompanyFilters, version: number | undefined) =>
      Effect.gen(function* () {
        const key = JSON.stringify(filters)
        const cached = version === undefined ? undefined : totals.get(key, version)
        if (cached !== undefined) return { total: cached, version: version! }
        const counted = yield* countAt(filters)
        totals.set(key, counted.version, counted.total)
        return counted
      })

    /** One more row than the page, to know whether another follows. Exposed for EXPLAIN in bench/api.ts. */
    const pageStatement = (request: CompanyListRequest) => {
      const { filters, sort, limit } = request
      const conditions = request.after ? sql.and([where(filters), after(sort, request.after.key, request.after.id)]) : where(filters)
      return sql<{ id: number; k: number | string; j: string; v: number }>`
        SELECT id, ${sql.literal(cursorKeySql[sort.field])} AS k, ${sql.literal(companyJsonSql)} AS j,
          (SELECT version FROM companies_version) AS v
        FROM companies
        WHERE ${conditions}
        ORDER BY ${orderBy(sort)}
        LIMIT ${limit + 1}${request.offset ? sql` OFFSET ${request.offset}` : sql.literal("")}`
    }

    const readPage = (request: CompanyListRequest) =>
      Effect.gen(function* () {
        const { filters, sort, limit } = request
        const rows = yield* pageStatement(request)
        const shown = rows.slice(0, limit)
        const last = shown.at(-1)
        const pageVersion = rows[0]?.v
        const counted = yield* totalAt(filters, pageVersion)
        const nextCursor =
          rows.length > limit && last ? encodeCursor({ scope: companyCursorScope(sort.token, filters), key: last.k, id: last.id }) : null
        const page: CompanyPage = {
          total: counted.total,
          nextCursor,
          body: encodedBody(encoder.encode(
            `{"total":${counted.total},"companies":[${shown.map((r) => r.j).join(",")}],"next_cursor":${JSON.stringify(nextCursor)}}`
          ))
        }
        // Only a page whose rows and total come from the same version may be reused.
        return { page, version: pageVersion !== undefined && counted.version === pageVersion ? pageVersion : undefined }
      })

    const list = (request: CompanyListRequest) =>
      Effect.gen(function* () {
        if (cacheBytes === 0) return (yield* readPage(request)).page
        const key = JSON.stringify([request.filters, request.sort.token, request.limit, request.after, request.offset])
        const hit = pages.get(key, yield* versions.current)
        if (hit) return hit
        const { page, version } = yield* readPage(request)
        if (version !== undefined) pages.set(key, version, page)
        return page
      })

    const byId = (id: number) =>
      sql<{ j: string }>`SELECT ${sql.literal(companyJsonSql)} AS j FROM companies WHERE id = ${id}`.pipe(
        Effect.map((rows) => Option.fromNullable(rows[0]?.j))
      )

    const byDomain = (domain: string) =>
      sql<{ j: string }>`SELECT ${sql.literal(companyJsonSql)} AS j FROM companies WHERE domain = ${domain}`.pipe(
        Effect.map((rows) => Option.fromNullable(rows[0]?.j))
      )

    const exportBatch = (filters: CompanyFilters, sort: CompanySort, position: { key: number | string; id: number } | null) =>
      sql<CompanyCsvRow & { k: number | string }>`
        SELECT id, company_name AS "companyName", domain, country, country_code AS "countryCode",
          country_name AS "countryName", employee_count AS "employeeCount", industry_raw AS industry,
          website_url AS "websiteUrl", icp_fit_score AS "icpFitScore", segment, primary_use_case AS "primaryUseCase",
          risk_flags AS "riskFlags", personalized_pitch AS "personalizedPitch", confidence,
          override_score AS "overrideScore", override_segment AS "overrideSegment", override_status AS "overrideStatus",
          override_note AS "overrideNote", effective_score AS "effectiveScore", effective_segment AS "effectiveSegment",
          enrichment_status AS "enrichmentStatus", scraping_status AS "scrapingStatus",
          ${sql.literal(iso("updated_at"))} AS "updatedAt", ${sql.literal(cursorKeySql[sort.field])} AS k
        FROM companies
        WHERE ${position ? sql.and([where(filters), after(sort, position.key, position.id)]) : where(filters)}
        ORDER BY ${orderBy(sort)}
        LIMIT ${EXPORT_BATCH}`

    type Position = { readonly key: number | string; readonly id: number }
    const split = (rows: ReadonlyArray<CompanyCsvRow & { k: number | string }>) => {
      const last = rows.at(-1)
      return [
        Chunk.unsafeFromArray(rows.map(({ k: _k, ...row }): CompanyCsvRow => row)),
        rows.length === EXPORT_BATCH && last ? Option.some<Position>({ key: last.k, id: last.id }) : Option.none<Position>()
      ] as const
    }

    /**
     * Every matching company in order, fetched in keyset batches: no transaction or server-side cursor is
     * held open while a slow client downloads, and each batch costs the same at any depth. The first batch
     * is read before anything is sent, so a failing database still gets a proper error status.
     */
    const exportRows = (filters: CompanyFilters, sort: CompanySort) =>
      Effect.map(exportBatch(filters, sort, null), (rows) => {
        const [first, next] = split(rows)
        const rest = Option.match(next, {
          onNone: () => Stream.empty,
          onSome: (position) =>
            Stream.paginateChunkEffect(position, (p) => Effect.map(exportBatch(filters, sort, p), split))
        })
        return Stream.concat(Stream.fromChunk(first), rest)
      })

    /**
     * Counts for each facet under the other filters (a facet ignores its own filter, so every choice it
     * offers shows what picking it would give), cached per data version like totals.
     */
    const facetCache = makeVersionedCache<CompanyFacets>({ maxEntries: MAX_CACHED_TOTALS, maxBytes: 16 * 1024 * 1024, sizeOf: (f) => JSON.stringify(f).length })
    const facetRows = (filters: CompanyFilters, expression: string, label: string) =>
      sql<{ value: string; label: string; count: number }>`
        SELECT ${sql.literal(expression)} AS value, ${sql.literal(label)} AS label, count(*)::int AS count
        FROM companies
        WHERE ${where(filters)} AND ${sql.literal(expression)} IS NOT NULL
        GROUP BY 1
        ORDER BY count DESC, 1
        LIMIT ${FACET_LIMIT}`
    const facets = (filters: CompanyFilters) =>
      Effect.gen(function* () {
        const key = JSON.stringify(filters)
        const version = yield* versions.current
        const cached = facetCache.get(key, version)
        if (cached) return cached
        const [segment, country, industry, counted] = yield* Effect.all(
          [
            facetRows({ ...filters, segment: undefined }, "effective_segment", "max(effective_segment)"),
            facetRows({ ...filters, country: undefined }, "country_code", "COALESCE(max(country_name), max(country_code))"),
            facetRows({ ...filters, industry: undefined }, "lower(industry_raw)", "min(industry_raw)"),
            countAt(filters)
          ],
          { concurrency: 4 }
        )
        const result: CompanyFacets = { total: counted.total, segment, country, industry }
        if (counted.version === version) facetCache.set(key, version, result)
        return result
      })

    /** Every enrichment kept for the company's domain, newest first, with the run that used it when known. */
    const enrichmentHistory = (id: number) =>
      sql<EnrichmentHistoryEntry>`
        SELECT (SELECT max(ri.run_id) FROM run_items ri
                WHERE ri.stage = 'enrich' AND ri.domain = e.domain AND ri.output_hash = e.input_hash)::int AS run_id,
          e.provider, e.model, e.prompt_version,
          CASE WHEN jsonb_typeof(e.output -> 'icpFitScore') = 'number' THEN (e.output ->> 'icpFitScore')::int END AS score,
          e.output ->> 'segment' AS segment,
          ${sql.literal(iso("e.created_at"))} AS created_at
        FROM enrichments e JOIN companies c ON c.domain = e.domain
        WHERE c.id = ${id}
        ORDER BY e.created_at DESC
        LIMIT 50`

    const scrapeOf = (domain: string) =>
      sql<ScrapeDetails>`
        SELECT status, final_url, http_status,
          CASE WHEN error_kind IS NULL THEN NULL ELSE trim(error_kind || ': ' || COALESCE(error_message, '')) END AS error,
          ${sql.literal(iso("fetched_at"))} AS fetched_at, text
        FROM scrapes WHERE domain = ${domain}`.pipe(Effect.map((rows) => rows[0]))

    return { list, byId, byDomain, exportRows, facets, enrichmentHistory, scrapeOf, cacheBytes, pageStatement, countStatement } as const
  })
}) {}
