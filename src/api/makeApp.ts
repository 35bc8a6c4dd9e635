import { Effect, Option } from "effect"
import { Hono } from "hono"
import { cors } from "hono/cors"
import type { ApiSettings } from "../config/ApiConfig.js"
import { ApiError } from "./ApiError.js"
import { apiKeyAuth } from "./apiKeyAuth.js"
import { appRoutes } from "./appRoutes.js"
import { companyExportRoutes, companyRoutes } from "./companyRoutes.js"
import { docsRoutes } from "./docsRoutes.js"
import { errorResponseFor, toResponse } from "./errorResponse.js"
import { makePageSession } from "./PageSession.js"
import { dropEmptyQueryParams, uriTooLong } from "./requestGuards.js"
import { requestLogger } from "./requestLogger.js"
import { makeRouteKit, notFound, type ApiRuntime } from "./RouteKit.js"
import { runRoutes } from "./runRoutes.js"
import { serviceRoutes } from "./serviceRoutes.js"

export type { ApiRuntime } from "./RouteKit.js"

export interface AppOptions {
  readonly corsOrigins: ApiSettings["corsOrigins"]
  readonly apiKey: ApiSettings["apiKey"]
  /** With API_KEY set, whether /docs and /openapi.json stay reachable without it. */
  readonly docsPublic: boolean
  /** Badge thresholds of the workspace (LEAD_HOT_SCORE, LEAD_WARM_SCORE). */
  readonly hotScore?: number
  readonly warmScore?: number
}

/** A route pattern as a regular expression over a request path (for 405: which methods a path has). */
const patternOf = (path: string) =>
  new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\/:[^/]+/g, "/[^/]+").replace(/\*/g, ".*")}/?$`)

export const makeApp = (runtime: ApiRuntime, options: AppOptions) => {
  const app = new Hono({ strict: false })
  const kit = makeRouteKit(runtime)
  const session = makePageSession(options.apiKey)

  const docsPaths = (path: string) => path === "/openapi.json" || path === "/docs" || path.startsWith("/docs/")
  const isPublic = (path: string) =>
    path === "/" ||
    path === "/health" ||
    path === "/app/login" ||
    path.startsWith("/app/assets/") ||
    (options.docsPublic && docsPaths(path))

  app.use("*", requestLogger(kit.log))
  app.use("*", uriTooLong)
  if (options.corsOrigins.length > 0) {
    app.use(
      "*",
      cors({
        origin: options.corsOrigins.includes("*") ? "*" : [...options.corsOrigins],
        allowMethods: ["GET", "HEAD", "PATCH", "DELETE", "OPTIONS"],
        allowHeaders: ["Authorization", "Content-Type"],
        maxAge: 600
      })
    )
  }
  if (Option.isSome(options.apiKey)) app.use("*", apiKeyAuth(options.apiKey.value, isPublic, session))
  app.use("*", dropEmptyQueryParams)

  app.route("/", serviceRoutes(kit))
  app.route("/companies", companyRoutes(kit))
  app.route("/companies.csv", companyExportRoutes(kit))
  app.route("/runs", runRoutes(kit))
  app.route("/app", appRoutes(kit, { session, hotScore: options.hotScore ?? 80, warmScore: options.warmScore ?? 50 }))
  app.route("/", docsRoutes(app, { apiKey: options.apiKey }))

  const endpoints = app.routes
    .filter((route) => route.method !== "ALL" && route.path !== "/*")
    .map((route) => ({ method: route.method, pattern: patternOf(route.path) }))

  app.notFound((c) => {
    const allowed = new Set(endpoints.filter((e) => e.pattern.test(c.req.path)).map((e) => e.method))
    if (allowed.size > 0) {
      if (allowed.has("GET")) allowed.add("HEAD")
      const allow = [...allowed].sort()
      return toResponse(
        errorResponseFor(
          new ApiError({ reason: "MethodNotAllowed", message: `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow.join(", ")}`, allow })
        )
      )
    }
    return toResponse(errorResponseFor(notFound(`no such endpoint: ${c.req.method} ${c.req.path}`)))
  })
  app.onError((error) => {
    const status = (error as { status?: unknown }).status
    if (typeof status === "number" && status >= 400 && status < 500) {
      return toResponse(errorResponseFor(new ApiError({ reason: "BadRequest", message: error.message || "bad request" })))
    }
    kit.log(Effect.logError("unhandled error", error))
    return toResponse(errorResponseFor(error))
  })

  return app
}
