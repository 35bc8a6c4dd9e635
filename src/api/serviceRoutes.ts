import { Effect } from "effect"
import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import { Database } from "../db/Database.js"
import * as CachePolicy from "./cachePolicy.js"
import * as Responses from "./ResponseSchemas.js"
import { json, jsonValue, type RouteKit } from "./RouteKit.js"

export const SERVICE = "commonforge-api"

/**
 * A browser asking for a page (HTML before JSON in Accept) is sent to the leads workspace; every other
 * client, curl and fetch() included, keeps the JSON status.
 */
const wantsPage = (accept: string | undefined) => {
  if (!accept) return false
  const html = accept.indexOf("text/html")
  if (html === -1) return false
  const jsonAt = accept.indexOf("application/json")
  return jsonAt === -1 || html < jsonAt
}

export const serviceRoutes = (kit: RouteKit) => {
  const routes = new Hono({ strict: false })

  routes.get(
    "/",
    describeRoute({
      tags: ["service"],
      summary: "Service status",
      description: "Answers without touching the database. A browser (Accept: text/html) is redirected to the leads workspace at /app.",
      security: [],
      responses: { 200: json(Responses.ServiceStatus, "the service is up"), 302: { description: "to /app, for a browser" } }
    }),
    (c) => {
      if (wantsPage(c.req.header("accept"))) {
        return new Response(null, { status: 302, headers: { location: "/app", vary: "Accept", "cache-control": CachePolicy.noStore } })
      }
      return jsonValue({ status: "healthy", service: SERVICE }, CachePolicy.noStore)
    }
  )

  routes.get(
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
      kit.run(
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

  return routes
}
