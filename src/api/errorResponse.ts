import { Cause, Option } from "effect"
import { ApiError, type ParameterIssue } from "./ApiError.js"
import { noStore } from "./cachePolicy.js"

export interface ErrorResponse {
  readonly status: 400 | 401 | 403 | 404 | 405 | 414 | 415 | 500 | 503
  readonly body: { readonly error: string; readonly details: ReadonlyArray<ParameterIssue> }
  readonly allow?: ReadonlyArray<string>
}

const statusOf = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  UriTooLong: 414,
  UnsupportedMediaType: 415,
  Unavailable: 503,
  Internal: 500
} as const

/** SQLSTATE classes that mean the database, not the query, is the problem: connection, login, missing database, resources, shutdown. */
const unavailableSqlState = /^(08|28|3D|53|57P)/

const unavailableNetworkCode = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"])

const isUnavailable = (error: unknown): boolean => {
  for (let current = error, depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string" && (unavailableSqlState.test(code) || unavailableNetworkCode.has(code))) return true
    const message = (current as { message?: unknown }).message
    if (typeof message === "string" && /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(message)) {
      return true
    }
    current = (current as { cause?: unknown }).cause
  }
  return false
}

/**
 * The one place a failure becomes an HTTP status. Our own errors carry their status; a database that is
 * down answers 503; anything else is a bug and answers 500 without internals.
 */
export const errorResponseFor = (error: unknown): ErrorResponse => {
  if (error instanceof ApiError) {
    return {
      status: statusOf[error.reason],
      body: { error: error.message, details: error.details ?? [] },
      ...(error.allow ? { allow: error.allow } : {})
    }
  }
  const tag = (error as { _tag?: unknown } | null)?._tag
  if (tag === "DatabaseError" || (tag === "SqlError" && isUnavailable(error))) {
    return { status: 503, body: { error: "the database is unavailable; try again later", details: [] } }
  }
  return { status: 500, body: { error: "internal error", details: [] } }
}

export const errorResponseForCause = (cause: Cause.Cause<unknown>): ErrorResponse =>
  Option.match(Cause.failureOption(cause), {
    onSome: errorResponseFor,
    onNone: () =>
      Cause.isInterruptedOnly(cause)
        ? { status: 503, body: { error: "the request was interrupted", details: [] } }
        : errorResponseFor(Option.getOrUndefined(Cause.dieOption(cause)))
  })

export const toResponse = ({ status, body, allow }: ErrorResponse): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": noStore,
      ...(status === 401 ? { "www-authenticate": 'Bearer realm="commonforge"' } : {}),
      ...(allow ? { allow: allow.join(", ") } : {})
    }
  })
