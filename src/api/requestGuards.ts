import type { MiddlewareHandler } from "hono"
import { ApiError } from "./ApiError.js"
import { errorResponseFor, toResponse } from "./errorResponse.js"

/** Longer than any URL the API or the workspace produce; Node refuses far longer ones itself (see startApiServer). */
export const MAX_URL_LENGTH = 8192

export const uriTooLong: MiddlewareHandler = async (c, next) => {
  if (c.req.url.length > MAX_URL_LENGTH) {
    return toResponse(
      errorResponseFor(new ApiError({ reason: "UriTooLong", message: `the URL is longer than ${MAX_URL_LENGTH} characters` }))
    )
  }
  return next()
}

/**
 * An empty optional parameter (`country=`, as forms and the /docs example send) means the parameter is
 * absent: the request is seen without it, by the validators and the handlers alike.
 */
export const dropEmptyQueryParams: MiddlewareHandler = async (c, next) => {
  const raw = c.req.raw
  const query = raw.url.indexOf("?")
  if (query !== -1 && (raw.method === "GET" || raw.method === "HEAD") && /(?:^|&)[^&=]+=(?:&|$)/.test(raw.url.slice(query + 1))) {
    const url = new URL(raw.url)
    for (const [key, value] of [...url.searchParams.entries()]) if (value === "") url.searchParams.delete(key, value)
    c.req.raw = new Request(url, raw)
  }
  return next()
}
