import { Either, Schema } from "effect"
import { normalizeDomain } from "../stages/clean/normalizeDomain.js"
import * as QueryParam from "./QueryParam.js"

export const CompanyIdPath = Schema.Struct({ id: QueryParam.id("company id") })
export const RunIdPath = Schema.Struct({ id: QueryParam.id("run id") })

/** Normalized exactly as the clean stage stores it, so `https://www.Acme.com/about` finds acme.com. */
export const DomainPath = Schema.Struct({
  domain: QueryParam.make({
    type: Schema.String,
    parse: (raw) =>
      raw.length > 2048
        ? Either.left("must be at most 2048 characters")
        : Either.mapLeft(normalizeDomain(raw), (rejection) => `${rejection.message} (${rejection.reason})`),
    format: (domain) => domain,
    jsonSchema: {
      type: "string",
      description: "a domain or URL as people paste it (www., scheme, path and case are ignored)",
      examples: ["acme.com"]
    }
  })
})
