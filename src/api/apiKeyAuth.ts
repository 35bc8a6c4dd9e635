import type { MiddlewareHandler } from "hono"
import { createHash, timingSafeEqual } from "node:crypto"
import { Redacted } from "effect"
import { ApiError } from "./ApiError.js"
import { errorResponseFor, toResponse } from "./errorResponse.js"

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()

/**
 * Bearer-token check for every path but the public ones. Both sides are hashed first so the comparison
 * takes the same time whatever the length or content of the token offered.
 */
export const apiKeyAuth = (apiKey: Redacted.Redacted<string>, isPublic: (path: string) => boolean): MiddlewareHandler => {
  const expected = digest(Redacted.value(apiKey))
  return async (c, next) => {
    if (isPublic(c.req.path)) return next()
    const header = c.req.header("authorization") ?? ""
    const match = /^Bearer[ \t]+(.+)$/i.exec(header.trim())
    const offered = digest(match?.[1]?.trim() ?? "")
    if (!match || !timingSafeEqual(offered, expected)) {
      return toResponse(
        errorResponseFor(
          new ApiError({
            reason: "Unauthorized",
            message: match ? "the API key is not valid" : "this endpoint needs an Authorization: Bearer <API_KEY> header"
          })
        )
      )
    }
    return next()
  }
}
