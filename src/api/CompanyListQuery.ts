import { Schema } from "effect"
import { companySort, companySortValues, isValidSortKey, type CompanySort } from "./CompanySort.js"
import { decodeCursor, encodeCursor, type Cursor } from "./Cursor.js"
import * as QueryParam from "./QueryParam.js"

export const enrichmentStatusValues = ["success", "failed", "pending", "any"] as const
export const segmentValues = ["SMB", "Mid-Market", "Enterprise", "Unknown"] as const

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
  min_score: Schema.optionalWith(QueryParam.integer({ min: 0, max: 100, description: "lowest ICP fit score, inclusive" }), { exact: true }),
  max_score: Schema.optionalWith(QueryParam.integer({ min: 0, max: 100, description: "highest ICP fit score, inclusive" }), { exact: true }),
  country: Schema.optionalWith(
    QueryParam.text({ maxLength: 100, description: "country as written or normalized: US, USA, United States and U.S. all match the same companies" }),
    { exact: true }
  ),
  segment: Schema.optionalWith(QueryParam.oneOf(segmentValues, { description: "company segment" }), { exact: true }),
  industry: Schema.optionalWith(QueryParam.text({ maxLength: 200, description: "industry as given in the input, case-insensitive" }), { exact: true }),
  q: Schema.optionalWith(QueryParam.text({ maxLength: 200, description: "text contained in the name or the domain, case-insensitive" }), { exact: true }),
  enrichment_status: Schema.optionalWith(
    QueryParam.oneOf(enrichmentStatusValues, { description: "enrichment outcome; any for all companies", default: "success" }),
    { exact: true, default: () => "success" as const }
  ),
  sort: Schema.optionalWith(
    QueryParam.oneOf(companySortValues, { description: "sort key, - for descending; ties are broken by id", default: "-score" }),
    { exact: true, default: () => "-score" as const }
  )
}

const scoreRange = (query: { readonly min_score?: number; readonly max_score?: number }) =>
  query.min_score !== undefined && query.max_score !== undefined && query.max_score < query.min_score
    ? { path: ["max_score"], message: `must be at least min_score (${query.min_score}), got ${query.max_score}` }
    : undefined

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
      const sort = companySort(query.sort)
      if (query.cursor.scope !== `companies:${sort.token}` || !isValidSortKey(sort.field, query.cursor.key)) {
        return query.cursor.scope.startsWith("companies:")
          ? { path: ["cursor"], message: `was issued for sort=${query.cursor.scope.slice("companies:".length)}; repeat that sort or start without a cursor` }
          : { path: ["cursor"], message: "is not a valid cursor; pass the next_cursor of a previous response unchanged" }
      }
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
}

export const companyFilters = (query: CompanyFilterQuery): CompanyFilters => ({
  minScore: query.min_score,
  maxScore: query.max_score,
  country: query.country,
  segment: query.segment,
  industry: query.industry,
  q: query.q,
  enrichmentStatus: query.enrichment_status
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
