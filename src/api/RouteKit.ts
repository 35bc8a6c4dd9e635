import { Effect, Exit, JSONSchema, ManagedRuntime, Schema } from "effect"
import type { Context } from "hono"
import { resolver, validator } from "hono-openapi"
import { ApiError } from "./ApiError.js"
import type { ApiServices } from "./ApiLayer.js"
import { negotiate, type EncodedBody } from "./EncodedBody.js"
import { errorResponseForCause, toResponse } from "./errorResponse.js"
import * as Responses from "./ResponseSchemas.js"
import { validationHook, type Target } from "./validationHook.js"

export type ApiRuntime = ManagedRuntime.ManagedRuntime<ApiServices, unknown>

/** What every router needs from the server: its runtime, as a way to run handlers and to log. */
export interface RouteKit {
  /** Runs a handler's effect on the server's runtime; every failure goes through errorResponseFor. */
  readonly run: (effect: Effect.Effect<Response, unknown, ApiServices>) => Promise<Response>
  /** Log effects are synchronous: run in place, so a line is written before its response is sent. */
  readonly log: (effect: Effect.Effect<void>) => void
  readonly runtime: ApiRuntime
}

export const makeRouteKit = (runtime: ApiRuntime): RouteKit => {
  const log = (effect: Effect.Effect<void>) => {
    try {
      runtime.runSync(effect)
    } catch {
      // A logger that fails must not fail the request.
    }
  }
  const run = (effect: Effect.Effect<Response, unknown, ApiServices>): Promise<Response> =>
    runtime.runPromiseExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      const response = errorResponseForCause(exit.cause)
      if (response.status >= 500) log(Effect.logError("request failed", exit.cause))
      return toResponse(response)
    })
  return { run, log, runtime }
}

type StructLike = Schema.Schema<any, any, never> & { readonly fields?: Record<string, unknown>; readonly from?: unknown }

const fieldNames = (schema: StructLike): ReadonlyArray<string> => {
  const fields = schema.fields ?? (schema.from as StructLike | undefined)?.fields
  return fields ? Object.keys(fields) : []
}

/** Validates one request part with an Effect schema through Standard Schema; a failure is our 400. */
export const validate = <S extends StructLike>(target: Target, schema: S) =>
  validator(target, Schema.standardSchemaV1(schema, { onExcessProperty: "error" }), validationHook(target, fieldNames(schema)))

export const json = (schema: Schema.Schema<any, any, never>, description: string) => ({
  description,
  content: { "application/json": { schema: resolver(Schema.standardSchemaV1(schema)) } }
})

// The error body is referenced from every operation, so it is declared once under components.
export const errorJsonSchema = (() => {
  const generated = JSONSchema.make(Responses.ErrorBody) as { $defs?: Record<string, object> }
  const { $schema: _, ...schema } = (generated.$defs?.Error ?? generated) as Record<string, unknown>
  return schema
})()

export const errorDoc = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } }
})

export const commonErrors = {
  401: errorDoc("missing or wrong API key (only when API_KEY is set)"),
  503: errorDoc("the database is unavailable")
}

export const jsonText = (body: string | Uint8Array, cacheControl: string, status = 200, extra: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": cacheControl, ...extra } })

/** A JSON body compressed when the client accepts it (list pages keep their compressed form when cached). */
export const jsonBody = (c: Context, body: EncodedBody, cacheControl: string) =>
  Effect.promise(() => negotiate(body, c.req.header("accept-encoding"))).pipe(
    Effect.map(({ bytes, headers }) => jsonText(bytes, cacheControl, 200, headers))
  )

export const jsonValue = (value: unknown, cacheControl: string, status = 200) => jsonText(JSON.stringify(value), cacheControl, status)

export const notFound = (message: string) => new ApiError({ reason: "NotFound", message })
