import { Effect, Option } from "effect"
import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import * as CachePolicy from "./cachePolicy.js"
import { encodedBody } from "./EncodedBody.js"
import { NoQuery, RejectsQuery, RunListQuery } from "./ListQueries.js"
import { RunIdPath } from "./PathParams.js"
import * as Responses from "./ResponseSchemas.js"
import { commonErrors, errorDoc, json, jsonBody, jsonValue, notFound, validate, type RouteKit } from "./RouteKit.js"
import { RunQueries } from "./RunQueries.js"

const encoder = new TextEncoder()

/** /runs: pipeline runs, their stages and the lines they rejected. */
export const runRoutes = (kit: RouteKit) => {
  const routes = new Hono({ strict: false })

  routes.get(
    "/",
    describeRoute({
      tags: ["runs"],
      summary: "List pipeline runs, newest first",
      responses: { 200: json(Responses.RunList, "one page of runs"), ...commonErrors }
    }),
    validate("query", RunListQuery),
    (c) =>
      kit.run(
        Effect.gen(function* () {
          const { limit, cursor } = c.req.valid("query")
          const runs = yield* (yield* RunQueries).list(limit, cursor)
          return yield* jsonBody(c, encodedBody(encoder.encode(JSON.stringify(runs))), CachePolicy.runProgress)
        })
      )
  )

  routes.get(
    "/:id",
    describeRoute({
      tags: ["runs"],
      summary: "A run's status, per-stage counts and timings",
      responses: { 200: json(Responses.RunDetail, "the run"), 404: errorDoc("no run has this id"), ...commonErrors }
    }),
    validate("param", RunIdPath),
    validate("query", NoQuery),
    (c) =>
      kit.run(
        Effect.gen(function* () {
          const { id } = c.req.valid("param")
          const detail = yield* (yield* RunQueries).detail(id)
          if (Option.isNone(detail)) return yield* notFound(`there is no run ${id}`)
          return jsonValue(detail.value, CachePolicy.runProgress)
        })
      )
  )

  routes.get(
    "/:id/rejects",
    describeRoute({
      tags: ["runs"],
      summary: "The input rows a run rejected, with the reason for each",
      responses: { 200: json(Responses.RejectedRowList, "one page of rejected rows"), 404: errorDoc("no run has this id"), ...commonErrors }
    }),
    validate("param", RunIdPath),
    validate("query", RejectsQuery),
    (c) =>
      kit.run(
        Effect.gen(function* () {
          const { id } = c.req.valid("param")
          const { limit, offset } = c.req.valid("query")
          const page = yield* (yield* RunQueries).rejects(id, limit, offset)
          if (Option.isNone(page)) return yield* notFound(`there is no run ${id}`)
          return yield* jsonBody(c, encodedBody(encoder.encode(JSON.stringify(page.value))), CachePolicy.rejectedRows)
        })
      )
  )

  return routes
}
