import type { MiddlewareHandler } from "hono"
import { createHash, timingSafeEqual } from "node:crypto"
import { Redacted } from "effect"
import { ApiError } from "./ApiError.js"
import { errorResponseFor, toResponse } from "./errorResponse.js"
import { CSRF_HEADER, type PageSession } from "./PageSession.js"

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"])

const refuse = (reason: "Unauthorized" | "Forbidden", message: string) => toResponse(errorResponseFor(new ApiError({ reason, message })))

/**
 * Bearer-token check for every path but the public ones. Both sides are hashed first so the comparison
 * takes the same time whatever the length or content of the token offered. A workspace session cookie
 * stands for the key too (the pages' downloads and fetches send it); a write made with the cookie alone
 * must carry the CSRF token. A page asked for without either goes to the login form.
 */
export const apiKeyAuth = (apiKey: Redacted.Redacted<string>, isPublic: (path: string) => boolean, session: PageSession): MiddlewareHandler => {
  const expected = digest(Redacted.value(apiKey))
  return async (c, next) => {
    if (isPublic(c.req.path)) return next()
    const header = c.req.header("authorization") ?? ""
    const match = /^Bearer[ \t]+(.+)$/i.exec(header.trim())
    if (match && timingSafeEqual(digest(match[1]!.trim()), expected)) return next()
    if (!match && session.hasSession(c)) {
      const isPage = c.req.path === "/app" || c.req.path.startsWith("/app/")
      if (!isPage && !safeMethods.has(c.req.method) && !session.checkCsrf(c.req.header(CSRF_HEADER))) {
        return refuse("Forbidden", `a write with the session cookie needs the ${CSRF_HEADER} header of the page`)
      }
      return next()
    }
    if (!match && (c.req.path === "/app" || c.req.path.startsWith("/app/")) && safeMethods.has(c.req.method)) {
      const url = new URL(c.req.url)
      return c.redirect(`/app/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303)
    }
    return refuse("Unauthorized", match ? "the API key is not valid" : "this endpoint needs an Authorization: Bearer <API_KEY> header")
  }
}
