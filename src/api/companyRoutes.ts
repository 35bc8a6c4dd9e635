import { Cause, Chunk, Effect, Option, Stream } from "effect"
import { Hono, type MiddlewareHandler } from "hono"
import { describeRoute } from "hono-openapi"
import { ApiError } from "./ApiError.js"
import type { ApiServices } from "./ApiLayer.js"
import * as CachePolicy from "./cachePolicy.js"
import { CompanyCsv } from "./CompanyCsv.js"
import { CompanyFilterQuery, CompanyListQuery, companyFilters, companyListRequest } from "./CompanyListQuery.js"
import { CompanyOverrides } from "./CompanyOverrides.js"
import { CompanyQueries } from "./CompanyQueries.js"
import { companySort } from "./CompanySort.js"
import { errorResponseFor, toResponse } from "./errorResponse.js"
import { NoQuery } from "./ListQueries.js"
import { OverridePatch } from "./OverridePatch.js"
import { CompanyIdPath, DomainPath } from "./PathParams.js"
import * as Responses from "./ResponseSchemas.js"
import { commonErrors, errorDoc, json, jsonBody, jsonText, jsonValue, notFound, validate, type RouteKit } from "./RouteKit.js"

/** The company as GET /companies/{id} answers it, read again after a change. */
const companyResponse = (id: number, cacheControl: string) =>
  Effect.gen(function* () {
    const company = yield* (yield* CompanyQueries).byId(id)
    if (Option.isNone(company)) return yield* notFound(`there is no company ${id}`)
    return jsonText(company.value, cacheControl)
  })

const jsonOnly: MiddlewareHandler = async (c, next) => {
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(c.req.header("content-type") ?? "")) {
    return toResponse(
      errorResponseFor(new ApiError({ reason: "UnsupportedMediaType", message: "send the body as JSON (Content-Type: application/json)" }))
    )
  }
  return next()
}

/** /companies: the list, its facets, one company, and a person's override of it. */
export const companyRoutes = (kit: RouteKit) => {
  const routes = new Hono({ strict: false })

  routes.get(
    "/",
    describeRoute({
      tags: ["companies"],
      summary: "List companies",
      description:
        "Filter, sort and page through scored companies, on their effective values (a person's override, else the model's). Pages with `cursor` (keyset: the same cost at any depth; bound to the sort and filters it was issued for) or `offset`. An empty parameter counts as absent.",
      responses: { 200: json(Responses.CompanyList, "one page of companies"), ...commonErrors }
    }),
    validate("query", CompanyListQuery),
    (c) =>
      kit.run(
        Effect.gen(function* () {
          const page = yield* (yield* CompanyQueries).list(companyListRequest(c.req.valid("query")))
          return yield* jsonBody(c, page.body, CachePolicy.companyData)
        })
      )
  )

  routes.get(
    "/facets",
    describeRoute({
      tags: ["companies"],
      summary: "Facet counts per segment, country and industry",
      description:
        "The same filters as GET /companies. Each facet counts under the other filters (its own is left out), so every value it lists shows how many companies picking it would give.",
      responses: { 200: json(Responses.CompanyFacets, "counts per value"), ...commonErrors }
    }),
    validate("query", CompanyFilterQuery),
    (c) =>
      kit.run(
        Effect.gen(function* () {
          const facets = yield* (yield* CompanyQueries).facets(companyFilters(c.req.valid("query")))
          return jsonValue(facets, CachePolicy.companyData)
        })
      )
  )

  routes.get(
    "/by-domain/:domain",
    describeRoute({
      tags: ["companies"],
      summary: "Find a company by domain",
      responses: { 200: json(Responses.Company, "the company"), 404: errorDoc("no company has this domain"), ...commonErrors }
    }),
    validate("param", DomainPath),
    validate("query", NoQuery),
    (c) =>
      kit.run(
        Effect.gen(function* () {
          const { domain } = c.req.valid("param")
          const company = yield* (yield* CompanyQueries).byDomain(domain)
          if (Option.isNone(company)) return yield* notFound(`no company has the domain ${domain}`)
          return jsonText(company.value, CachePolicy.companyData)
        })
      )
  )

  routes.get(
    "/:id",
    describeRoute({
      tags: ["companies"],
      summary: "Get a company",
      description: "The model's values (icp_fit_score, segment, ...), a person's `override` (null when none) and the `effective` values.",
      responses: { 200: json(Responses.Company, "the company"), 404: errorDoc("no company has this id"), ...commonErrors }
    }),
    validate("param", CompanyIdPath),
    validate("query", NoQuery),
    (c) => kit.run(companyResponse(c.req.valid("param").id, CachePolicy.companyData))
  )

  routes.patch(
    "/:id",
    describeRoute({
      tags: ["companies"],
      summary: "Override a company's score, segment, status or note",
      description:
        "A field left out keeps its current override; null clears it; when all are null the model's values apply again. Every change is kept (GET /companies/{id}/overrides); a pipeline run never changes an override.",
      requestBody: json(OverridePatch, "the fields to change"),
      responses: {
        200: json(Responses.Company, "the company with its new override"),
        404: errorDoc("no company has this id"),
        415: errorDoc("the body is not JSON"),
        ...commonErrors
      }
    }),
    validate("param", CompanyIdPath),
    validate("query", NoQuery),
    jsonOnly,
    validate("json", OverridePatch),
    (c) =>
      kit.run(
        Effect.gen(function* () {
          const { id } = c.req.valid("param")
          const applied = yield* (yield* CompanyOverrides).apply(id, c.req.valid("json"), "api")
          if (Option.isNone(applied)) return yield* notFound(`there is no company ${id}`)
          return yield* companyResponse(id, CachePolicy.noStore)
        })
      )
  )

  routes.delete(
    "/:id/override",
    describeRoute({
      tags: ["companies"],
      summary: "Clear a company's override",
      description: "The model's values apply again; the history keeps the cleared override.",
      responses: { 200: json(Responses.Company, "the company, without override"), 404: errorDoc("no company has this id"), ...commonErrors }
    }),
    validate("param", CompanyIdPath),
    validate("query", NoQuery),
    (c) =>
      kit.run(
        Effect.gen(function* () {
          const { id } = c.req.valid("param")
          const cleared = yield* (yield* CompanyOverrides).clear(id, "api")
          if (Option.isNone(cleared)) return yield* notFound(`there is no company ${id}`)
          return yield* companyResponse(id, CachePolicy.noStore)
        })
      )
  )

  routes.get(
    "/:id/overrides",
    describeRoute({
      tags: ["companies"],
      summary: "A company's override history, newest first",
      responses: { 200: json(Responses.OverrideHistory, "every change, with who and when"), 404: errorDoc("no company has this id"), ...commonErrors }
    }),
    validate("param", CompanyIdPath),
    validate("query", NoQuery),
    (c) =>
      kit.run(
        Effect.gen(function* () {
          const { id } = c.req.valid("param")
          const company = yield* (yield* CompanyQueries).byId(id)
          if (Option.isNone(company)) return yield* notFound(`there is no company ${id}`)
          const history = yield* (yield* CompanyOverrides).history(id)
          return jsonValue({ company_id: id, history }, CachePolicy.noStore)
        })
      )
  )

  return routes
}

/** /companies.csv: the list's filters and sort, every match, streamed. */
export const companyExportRoutes = (kit: RouteKit) => {
  const routes = new Hono({ strict: false })
  routes.get(
    "/",
    describeRoute({
      tags: ["companies"],
      summary: "Export companies as CSV",
      description:
        "The same filters and sort as GET /companies, every matching company, streamed for CRM import. Column names are the JSON's; the model's values, the override and the effective values side by side. Risk flags are joined with `; `; a text cell starting with =, +, - or @ gets a leading `'` so spreadsheets do not run it.",
      responses: { 200: { description: "CSV with a header row", content: { "text/csv": { schema: { type: "string" } } } }, ...commonErrors }
    }),
    validate("query", CompanyFilterQuery),
    (c) => {
      const query = c.req.valid("query")
      return kit.run(
        Effect.gen(function* () {
          const rows = yield* (yield* CompanyQueries).exportRows(companyFilters(query), companySort(query.sort))
          const runtimeValue = yield* Effect.runtime<ApiServices>()
          const body = Stream.make(CompanyCsv.header).pipe(
            Stream.concat(Stream.map(rows, CompanyCsv.line)),
            Stream.rechunk(200),
            Stream.mapChunks((lines) => Chunk.of(Chunk.join(lines, ""))),
            Stream.encodeText,
            Stream.tapErrorCause((cause) => Effect.logError("CSV export failed after it started", Cause.squash(cause)))
          )
          return new Response(Stream.toReadableStreamRuntime(body, runtimeValue), {
            headers: {
              "content-type": "text/csv; charset=utf-8",
              "content-disposition": 'attachment; filename="companies.csv"',
              "cache-control": CachePolicy.companyExport
            }
          })
        })
      )
    }
  )
  return routes
}
