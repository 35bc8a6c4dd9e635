import { Schema } from "effect"
import { DEFAULT_LIMIT, MAX_LIMIT } from "./CompanyListQuery.js"
import { decodeCursor, encodeCursor } from "./Cursor.js"
import * as QueryParam from "./QueryParam.js"

/** A rejected-rows listing may be as long as the input file; offsets go that deep. */
export const MAX_REJECTS_OFFSET = 10_000_000

const limit = Schema.optionalWith(QueryParam.integer({ min: 1, max: MAX_LIMIT, description: "page size", default: DEFAULT_LIMIT }), {
  exact: true,
  default: () => DEFAULT_LIMIT
})

export const RunListQuery = Schema.Struct({
  limit,
  cursor: Schema.optionalWith(
    QueryParam.make({
      type: Schema.Struct({ scope: Schema.String, key: Schema.Union(Schema.Number, Schema.String), id: Schema.Number }),
      parse: decodeCursor,
      format: encodeCursor,
      jsonSchema: { type: "string", description: "next_cursor of the previous page (opaque)" }
    }),
    { exact: true }
  )
}).pipe(
  Schema.filter((query) =>
    query.cursor !== undefined && query.cursor.scope !== "runs"
      ? { path: ["cursor"], message: "is not a cursor of this listing; pass the next_cursor of a previous /runs response" }
      : undefined
  )
)

export const RejectsQuery = Schema.Struct({
  limit,
  offset: Schema.optionalWith(
    QueryParam.integer({ min: 0, max: MAX_REJECTS_OFFSET, description: "rows to skip", default: 0 }),
    { exact: true, default: () => 0 }
  )
})

/** For endpoints that take no query parameters: any given is refused, like an unknown one elsewhere. */
export const NoQuery = Schema.Struct({}).pipe(
  Schema.filter((query) => Object.keys(query).map((key) => ({ path: [key], message: "this endpoint takes no query parameters" })), {
    jsonSchema: { type: "object", properties: {}, additionalProperties: false }
  })
)
