import { Scalar } from "@scalar/hono-api-reference"
import { Option, type Redacted } from "effect"
import { Hono, type Context, type MiddlewareHandler } from "hono"
import { openAPIRouteHandler } from "hono-openapi"
import * as CachePolicy from "./cachePolicy.js"
import { errorDoc, errorJsonSchema } from "./RouteKit.js"
import { scalarBundle } from "./scalarBundle.js"

const TITLE = "CommonForge Lead Scoring API"

const withCache = (value: string): MiddlewareHandler => async (c, next) => {
  await next()
  if (c.res.status === 200) c.res.headers.set("cache-control", value)
}

/** /openapi.json, generated from the routes of `api` (every router mounted on it), and the /docs reference. */
export const docsRoutes = (api: Hono, options: { readonly apiKey: Option.Option<Redacted.Redacted<string>> }) => {
  const routes = new Hono({ strict: false })

  routes.get(
    "/openapi.json",
    withCache(CachePolicy.apiDocument),
    openAPIRouteHandler(api, {
      documentation: {
        info: {
          title: TITLE,
          version: "0.1.0",
          description:
            "Scored B2B companies with people's overrides, pipeline runs and their rejected rows, as persisted by the CommonForge pipeline."
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

  routes.get(
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

  routes.get("/docs/scalar.js", (c: Context) => {
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

  return routes
}
