import { Schema } from "effect"
import { createHash } from "node:crypto"
import { companySort, companySortValues, isValidSortKey, type CompanySort, type CompanySortToken } from "./CompanySort.js"
import { decodeCursor, encodeCursor, type Cursor } from "./Cursor.js"
import { qualificationStatusValues } from "./QualificationStatus.js"
import * as QueryParam from "./QueryParam.js"

export const enrichmentStatusValues = ["success", "failed", "pending", "any"] as const
export const segmentValues = ["SMB", "Mid-Market", "Enterprise", "Unknown"] as const
export const overrideStateValues = ["any", "overridden", "none"] as const

export const MAX_LIMIT = 500
export const DEFAULT_LIMIT = 50
/** Deeper than this, OFFSET scans too much; the cursor reaches any depth at the same cost. */
export const MAX_OFFSET = 10_000

const CursorParam = QueryParam.make({
  type: Schema.Struct({ scope: Schema.String, key: Schema.Union(Schema.Number, Schema.String), id: Schema.Number }),
  parse: decodeCursor,
  format: encodeCursor,
  jsonSchema: { type: "string", description: "next_cursor of the previous page (opaque); not with offset" }
})

const filterFields = {
  min_score: Schema.optionalWith(
    QueryParam.integer({ min: 0, max: 100, description: "lowest effective ICP fit score (a person's override, else the model's), inclusive" }),
    { exact: true }
  ),
  max_score: Schema.optionalWith(
    QueryParam.integer({ min: 0, max: 100, description: "highest effective ICP fit score, inclusive" }),
    { exact: true }
  ),
  country: Schema.optionalWith(
    QueryParam.text({ maxLength: 100, description: "country as written or normalized: US, USA, United States and U.S. all match the same companies" }),
    { exact: true }
  ),
  segment: Schema.optionalWith(QueryParam.oneOf(segmentValues, { description: "effective company segment" }), { exact: true }),
  industry: Schema.optionalWith(
    QueryParam.text({ maxLength: 200, description: "words of the industry as given in the input, case-insensitive: payments finds Fintech / Payments" }),
    { exact: true }
  ),
  q: Schema.optionalWith(QueryParam.text({ maxLength: 200, description: "text contained in the name or the domain, case-insensitive" }), { exact: true }),
  enrichment_status: Schema.optionalWith(
    QueryParam.oneOf(enrichmentStatusValues, { description: "enrichment outcome; any for all companies", default: "success" }),
    { exact: true, default: () => "success" as const }
  ),
  override: Schema.optionalWith(
    QueryParam.oneOf(overrideStateValues, { description: "whether a person has overridden the company", default: "any" }),
    { exact: true, default: () => "any" as const }
  ),
  status: Schema.optionalWith(
    QueryParam.oneOf(qualificationStatusValues, { description: "qualification status a person set" }),
    { exact: true }
  ),
  sort: Schema.optionalWith(
    QueryParam.oneOf(companySortValues, { description: "sort key (score is the effective score), - for descending; ties are broken by id", default: "-score" }),
    { exact: true, default: () => "-score" as const }
  )
}

const scoreRange = (query: { readonly min_score?: number; readonly max_score?: number }) =>
  query.min_score !== undefined && query.max_score !== undefined && query.max_score < query.min_score
    ? { path: ["max_score"], message: `must be at least min_score (${query.min_score}), got ${query.max_score}` }
    : undefined

const invalidCursor = "is not a valid cursor; pass the next_cursor of a previous response unchanged"

/**
 * Why a cursor cannot continue this listing, if it cannot: it names the sort and a digest of the filters it
 * was issued under, so a cursor replayed under other filters would skip or repeat rows and is refused.
 */
const cursorProblem = (cursor: Cursor, sort: CompanySort, filters: CompanyFilters): string | undefined => {
  const [prefix, token, digest, ...rest] = cursor.scope.split(":")
  const issuedSort = companySortValues.find((value) => value === token)
  if (prefix !== "companies" || issuedSort === undefined || digest === undefined || rest.length > 0) return invalidCursor
  if (!isValidSortKey(companySort(issuedSort).field, cursor.key)) return invalidCursor
  if (issuedSort !== sort.token) return `was issued for sort=${issuedSort}; repeat that sort or start without a cursor`
  if (digest !== filtersDigest(filters)) {
    return "was issued for other filters (min_score, max_score, country, segment, industry, q, enrichment_status, override or status differ); repeat them or start without a cursor"
  }
  return undefined
}

/** Short and stable: the same filters give the same digest on every server. */
export const filtersDigest = (filters: CompanyFilters): string =>
  createHash("sha256")
    .update(
      JSON.stringify([
        filters.minScore ?? null,
        filters.maxScore ?? null,
        filters.country ?? null,
        filters.segment ?? null,
        filters.industry ?? null,
        filters.q ?? null,
        filters.enrichmentStatus,
        filters.override,
        filters.status ?? null
      ])
    )
    .digest("base64url")
    .slice(0, 12)

export const companyCursorScope = (sort: CompanySortToken, filters: CompanyFilters) => `companies:${sort}:${filtersDigest(filters)}`

export const CompanyFilterQuery = Schema.Struct(filterFields).pipe(Schema.filter(scoreRange))

export const CompanyListQuery = Schema.Struct({
  ...filterFields,
  limit: Schema.optionalWith(
    QueryParam.integer({ min: 1, max: MAX_LIMIT, description: "page size", default: DEFAULT_LIMIT }),
    { exact: true, default: () => DEFAULT_LIMIT }
  ),
  cursor: Schema.optionalWith(CursorParam, { exact: true }),
  offset: Schema.optionalWith(
    QueryParam.integer({ min: 0, max: MAX_OFFSET, description: `rows to skip (at most ${MAX_OFFSET}; use cursor to go deeper); not with cursor` }),
    { exact: true }
  )
}).pipe(
  Schema.filter((query) => {
    const range = scoreRange(query)
    if (range) return range
    if (query.cursor !== undefined && query.offset !== undefined) {
      return { path: ["offset"], message: "cannot be combined with cursor; use one or the other" }
    }
    if (query.cursor !== undefined) {
      const problem = cursorProblem(query.cursor, companySort(query.sort), companyFilters(query))
      if (problem) return { path: ["cursor"], message: problem }
    }
    return undefined
  })
)

export type CompanyFilterQuery = typeof CompanyFilterQuery.Type
export type CompanyListQuery = typeof CompanyListQuery.Type

export interface CompanyFilters {
  readonly minScore?: number | undefined
  readonly maxScore?: number | undefined
  readonly country?: string | undefined
  readonly segment?: (typeof segmentValues)[number] | undefined
  readonly industry?: string | undefined
  readonly q?: string | undefined
  readonly enrichmentStatus: (typeof enrichmentStatusValues)[number]
  readonly override: (typeof overrideStateValues)[number]
  readonly status?: (typeof qualificationStatusValues)[number] | undefined
}

export const companyFilters = (query: CompanyFilterQuery): CompanyFilters => ({
  minScore: query.min_score,
  maxScore: query.max_score,
  country: query.country,
  segment: query.segment,
  industry: query.industry,
  q: query.q,
  enrichmentStatus: query.enrichment_status,
  override: query.override,
  status: query.status
})

export interface CompanyListRequest {
  readonly filters: CompanyFilters
  readonly sort: CompanySort
  readonly limit: number
  readonly after?: Cursor | undefined
  readonly offset?: number | undefined
}

export const companyListRequest = (query: CompanyListQuery): CompanyListRequest => ({
  filters: companyFilters(query),
  sort: companySort(query.sort),
  limit: query.limit,
  after: query.cursor,
  offset: query.offset
})
