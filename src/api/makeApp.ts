import { Scalar } from "@scalar/hono-api-reference"
import { Cause, Chunk, Effect, Exit, JSONSchema, ManagedRuntime, Option, Schema, Stream } from "effect"
import { Hono, type Context, type MiddlewareHandler } from "hono"
import { cors } from "hono/cors"
import { describeRoute, openAPIRouteHandler, resolver, validator } from "hono-openapi"
import type { ApiSettings } from "../config/ApiConfig.js"
import { Database } from "../db/Database.js"
import { ApiError } from "./ApiError.js"
import type { ApiServices } from "./ApiLayer.js"
import { apiKeyAuth } from "./apiKeyAuth.js"
import * as CachePolicy from "./cachePolicy.js"
import { CompanyCsv } from "./CompanyCsv.js"
import { CompanyFilterQuery, CompanyListQuery, companyFilters, companyListRequest } from "./CompanyListQuery.js"
import { CompanyQueries } from "./CompanyQueries.js"
import { companySort } from "./CompanySort.js"
import { encodedBody, negotiate, type EncodedBody } from "./EncodedBody.js"
import { errorResponseFor, errorResponseForCause, toResponse } from "./errorResponse.js"
import { NoQuery, RejectsQuery, RunListQuery } from "./ListQueries.js"
import { CompanyIdPath, DomainPath, RunIdPath } from "./PathParams.js"
import { requestLogger } from "./requestLogger.js"
import * as Responses from "./ResponseSchemas.js"
import { RunQueries } from "./RunQueries.js"
import { scalarBundle } from "./scalarBundle.js"
import { validationHook } from "./validationHook.js"

export const SERVICE = "commonforge-api"
const TITLE = "CommonForge Lead Scoring API"

export type ApiRuntime = ManagedRuntime.ManagedRuntime<ApiServices, unknown>

export interface AppOptions {
  readonly corsOrigins: ApiSettings["corsOrigins"]
  readonly apiKey: ApiSettings["apiKey"]
  /** With API_KEY set, whether /docs and /openapi.json stay reachable without it. */
  readonly docsPublic: boolean
}

type StructLike = Schema.Schema<any, any, never> & { readonly fields?: Record<string, unknown>; readonly from?: unknown }

const fieldNames = (schema: StructLike): ReadonlyArray<string> => {
  const fields = schema.fields ?? (schema.from as StructLike | undefined)?.fields
  return fields ? Object.keys(fields) : []
}

/** Validates one request part with an Effect schema through Standard Schema; a failure is our 400. */
const validate = <S extends StructLike>(target: "query" | "param", schema: S) =>
  validator(target, Schema.standardSchemaV1(schema, { onExcessProperty: "error" }), validationHook(target, fieldNames(schema)))

const json = (schema: Schema.Schema<any, any, never>, description: string) => ({
  description,
  content: { "application/json": { schema: resolver(Schema.standardSchemaV1(schema)) } }
})

// The error body is referenced from every operation, so it is declared once under components.
const errorJsonSchema = (() => {
  const generated = JSONSchema.make(Responses.ErrorBody) as { $defs?: Record<string, object> }
  const { $schema: _, ...schema } = (generated.$defs?.Error ?? generated) as Record<string, unknown>
  return schema
})()
const errorDoc = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } }
})
const errors = {
  401: errorDoc("missing or wrong API key (only when API_KEY is set)"),
  503: errorDoc("the database is unavailable")
}

const jsonText = (body: string | Uint8Array, cacheControl: string, status = 200, extra: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": cacheControl, ...extra } })

/** A JSON body compressed when the client accepts it (list pages keep their compressed form when cached). */
const jsonBody = (c: Context, body: EncodedBody, cacheControl: string) =>
  Effect.promise(() => negotiate(body, c.req.header("accept-encoding"))).pipe(
    Effect.map(({ bytes, headers }) => jsonText(bytes, cacheControl, 200, headers))
  )

const jsonValue = (value: unknown, cacheControl: string, status = 200) => jsonText(JSON.stringify(value), cacheControl, status)

const encoder = new TextEncoder()

const notFound = (message: string) => new ApiError({ reason: "NotFound", message })

export const makeApp = (runtime: ApiRuntime, options: AppOptions) => {
  const app = new Hono()
  // Log effects are synchronous: run them in place, so a line is written before its response is sent.
  const log = (effect: Effect.Effect<void>) => {
    try {
      runtime.runSync(effect)
    } catch {
      // A logger that fails must not fail the request.
    }
  }

  /** Runs a handler's effect on the server's runtime; every failure goes through errorResponseFor. */
  const run = (effect: Effect.Effect<Response, unknown, ApiServices>): Promise<Response> =>
    runtime.runPromiseExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      const response = errorResponseForCause(exit.cause)
      if (response.status >= 500) log(Effect.logError("request failed", exit.cause))
      return toResponse(response)
    })

  const docsPaths = (path: string) => path === "/openapi.json" || path === "/docs" || path.startsWith("/docs/")
  const isPublic = (path: string) => path === "/" || path === "/health" || (options.docsPublic && docsPaths(path))

  app.use("*", requestLogger(log))
  if (options.corsOrigins.length > 0) {
    app.use(
      "*",
      cors({
        origin: options.corsOrigins.includes("*") ? "*" : [...options.corsOrigins],
        allowMethods: ["GET", "HEAD", "OPTIONS"],
        allowHeaders: ["Authorization", "Content-Type"],
        maxAge: 600
      })
    )
  }
  if (Option.isSome(options.apiKey)) app.use("*", apiKeyAuth(options.apiKey.value, isPublic))

  app.get(
    "/",
    describeRoute({
      tags: ["service"],
      summary: "Service status",
      description: "Answers without touching the database.",
      security: [],
      responses: { 200: json(Responses.ServiceStatus, "the service is up") }
    }),
    () => jsonValue({ status: "healthy", service: SERVICE }, CachePolicy.noStore)
  )

  app.get(
    "/health",
    describeRoute({
      tags: ["service"],
      summary: "Health check, including the database",
      security: [],
      responses: {
        200: json(Responses.Health, "the service and its database answer"),
        503: json(Responses.Health, "the database does not answer; reason says why")
      }
    }),
    () =>
      run(
        Effect.gen(function* () {
          const db = yield* Database
          return yield* db.health.pipe(
            Effect.match({
              onSuccess: ({ kind }) => jsonValue({ status: "healthy", service: SERVICE, database: kind }, CachePolicy.noStore),
              onFailure: (error) =>
                jsonValue({ status: "unhealthy", service: SERVICE, database: db.target.kind, reason: error.message }, CachePolicy.noStore, 503)
            })
          )
        })
      )
  )

  app.get(
    "/companies",
    describeRoute({
      tags: ["companies"],
      summary: "List companies",
      description:
        "Filter, sort and page through scored companies. Pages with `cursor` (keyset: the same cost at any depth) or `offset`.",
      responses: { 200: json(Responses.CompanyList, "one page of companies"), ...errors }
    }),
    validate("query", CompanyListQuery),
    (c) =>
      run(
        Effect.gen(function* () {
          const queries = yield* CompanyQueries
          const page = yield* queries.list(companyListRequest(c.req.valid("query")))
          return yield* jsonBody(c, page.body, CachePolicy.companyData)
        })
      )
  )

  app.get(
    "/companies.csv",
    describeRoute({
      tags: ["companies"],
      summary: "Export companies as CSV",
      description:
        "The same filters and sort as GET /companies, every matching company, streamed for CRM import. Risk flags are joined with `; `; a text cell starting with =, +, - or @ gets a leading `'` so spreadsheets do not run it.",
      responses: { 200: { description: "CSV with a header row", content: { "text/csv": { schema: { type: "string" } } } }, ...errors }
    }),
    validate("query", CompanyFilterQuery),
    (c) => {
      const query = c.req.valid("query")
      return run(
        Effect.gen(function* () {
          const queries = yield* CompanyQueries
          const rows = yield* queries.exportRows(companyFilters(query), companySort(query.sort))
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

  app.get(
    "/companies/by-domain/:domain",
    describeRoute({
      tags: ["companies"],
      summary: "Find a company by domain",
      responses: { 200: json(Responses.Company, "the company"), 404: errorDoc("no company has this domain"), ...errors }
    }),
    validate("param", DomainPath),
    validate("query", NoQuery),
    (c) =>
      run(
        Effect.gen(function* () {
          const { domain } = c.req.valid("param")
          const company = yield* (yield* CompanyQueries).byDomain(domain)
          if (Option.isNone(company)) return yield* notFound(`no company has the domain ${domain}`)
          return jsonText(company.value, CachePolicy.companyData)
        })
      )
  )

  app.get(
    "/companies/:id",
    describeRoute({
      tags: ["companies"],
      summary: "Get a company",
      responses: { 200: json(Responses.Company, "the company"), 404: errorDoc("no company has this id"), ...errors }
    }),
    validate("param", CompanyIdPath),
    validate("query", NoQuery),
    (c) =>
      run(
        Effect.gen(function* () {
          const { id } = c.req.valid("param")
          const company = yield* (yield* CompanyQueries).byId(id)
          if (Option.isNone(company)) return yield* notFound(`there is no company ${id}`)
          return jsonText(company.value, CachePolicy.companyData)
        })
      )
  )

  app.get(
    "/runs",
    describeRoute({
      tags: ["runs"],
      summary: "List pipeline runs, newest first",
      responses: { 200: json(Responses.RunList, "one page of runs"), ...errors }
    }),
    validate("query", RunListQuery),
    (c) =>
      run(
        Effect.gen(function* () {
          const { limit, cursor } = c.req.valid("query")
          const runs = yield* (yield* RunQueries).list(limit, cursor)
          return yield* jsonBody(c, encodedBody(encoder.encode(JSON.stringify(runs))), CachePolicy.runProgress)
        })
      )
  )

  app.get(
    "/runs/:id",
    describeRoute({
      tags: ["runs"],
      summary: "A run's status, per-stage counts and timings",
      responses: { 200: json(Responses.RunDetail, "the run"), 404: errorDoc("no run has this id"), ...errors }
    }),
    validate("param", RunIdPath),
    validate("query", NoQuery),
    (c) =>
      run(
        Effect.gen(function* () {
          const { id } = c.req.valid("param")
          const detail = yield* (yield* RunQueries).detail(id)
          if (Option.isNone(detail)) return yield* notFound(`there is no run ${id}`)
          return jsonValue(detail.value, CachePolicy.runProgress)
        })
      )
  )

  app.get(
    "/runs/:id/rejects",
    describeRoute({
      tags: ["runs"],
      summary: "The input rows a run rejected, with the reason for each",
      responses: { 200: json(Responses.RejectedRowList, "one page of rejected rows"), 404: errorDoc("no run has this id"), ...errors }
    }),
    validate("param", RunIdPath),
    validate("query", RejectsQuery),
    (c) =>
      run(
        Effect.gen(function* () {
          const { id } = c.req.valid("param")
          const { limit, offset } = c.req.valid("query")
          const page = yield* (yield* RunQueries).rejects(id, limit, offset)
          if (Option.isNone(page)) return yield* notFound(`there is no run ${id}`)
          return yield* jsonBody(c, encodedBody(encoder.encode(JSON.stringify(page.value))), CachePolicy.rejectedRows)
        })
      )
  )

  const withCache = (value: string): MiddlewareHandler => async (c, next) => {
    await next()
    if (c.res.status === 200) c.res.headers.set("cache-control", value)
  }

  app.get(
    "/openapi.json",
    withCache(CachePolicy.apiDocument),
    openAPIRouteHandler(app, {
      documentation: {
        info: {
          title: TITLE,
          version: "0.1.0",
          description: "Scored B2B companies, pipeline runs and their rejected rows, as persisted by the CommonForge pipeline."
        },
        components: {
          securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "the server's API_KEY" } },
          schemas: { Error: errorJsonSchema as any }
        },
        security: Option.isSome(options.apiKey) ? [{ bearerAuth: [] }] : []
      },
      excludeStaticFile: false,
      defaultValidationErrorResponse: errorDoc("a parameter broke a rule; details names each one and the rule")
    })
  )

  app.get(
    "/docs",
    withCache(CachePolicy.apiDocument),
    Scalar({
      url: "/openapi.json",
      cdn: "/docs/scalar.js",
      pageTitle: TITLE,
      withDefaultFonts: false,
      defaultOpenAllTags: true,
      telemetry: false,
      ...(Option.isSome(options.apiKey) ? { authentication: { preferredSecurityScheme: "bearerAuth" } } : {})
    })
  )

  app.get("/docs/scalar.js", (c: Context) => {
    const bundle = scalarBundle()
    const gzip = /\bgzip\b/.test(c.req.header("accept-encoding") ?? "")
    return new Response(gzip ? bundle.gzipped : bundle.javascript, {
      headers: {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": CachePolicy.staticAsset,
        vary: "Accept-Encoding",
        ...(gzip ? { "content-encoding": "gzip" } : {})
      }
    })
  })

  app.notFound((c) => toResponse(errorResponseFor(notFound(`no such endpoint: ${c.req.method} ${c.req.path}`))))
  app.onError((error) => {
    const status = (error as { status?: unknown }).status
    if (typeof status === "number" && status >= 400 && status < 500) {
      return toResponse(errorResponseFor(new ApiError({ reason: "BadRequest", message: error.message || "bad request" })))
    }
    log(Effect.logError("unhandled error", error))
    return toResponse(errorResponseFor(error))
  })

  return app
}
