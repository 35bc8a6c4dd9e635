import { Option, Redacted } from "effect"
import type { Context } from "hono"
import { getCookie } from "hono/cookie"
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto"

export const SESSION_COOKIE = "cf_session"
export const CSRF_FIELD = "_csrf"
export const CSRF_HEADER = "x-csrf-token"

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()
const sameText = (a: string, b: string) => timingSafeEqual(digest(a), digest(b))

/**
 * How the workspace pages authenticate. With API_KEY set, a person types the key once and gets a session
 * cookie (HttpOnly, SameSite=Strict) holding a MAC of the key — not the key — valid on every server with
 * that key until the key changes. Writes from pages carry a CSRF token, a MAC too: another site can
 * neither read it from our pages nor compute it. Without API_KEY the pages are open and the token comes
 * from a secret of this process.
 */
export interface PageSession {
  readonly required: boolean
  /** Whether `offered` is the API key (compared in constant time). */
  readonly checkKey: (offered: string) => boolean
  readonly cookieValue: string
  readonly hasSession: (c: Context) => boolean
  readonly csrfToken: string
  readonly checkCsrf: (offered: string | undefined) => boolean
  readonly sessionCookie: (secure: boolean) => string
  readonly clearedCookie: (secure: boolean) => string
}

export const makePageSession = (apiKey: Option.Option<Redacted.Redacted<string>>): PageSession => {
  const secret = Option.match(apiKey, { onNone: () => randomBytes(32).toString("hex"), onSome: Redacted.value })
  const mac = (purpose: string) => createHmac("sha256", secret).update(`commonforge:${purpose}:v1`).digest("base64url")
  const cookieValue = mac("session")
  const csrfToken = mac("csrf")
  const attributes = (secure: boolean) => `Path=/; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`
  return {
    required: Option.isSome(apiKey),
    checkKey: (offered) => Option.isSome(apiKey) && sameText(offered.trim(), Redacted.value(apiKey.value)),
    cookieValue,
    hasSession: (c) => {
      const value = getCookie(c, SESSION_COOKIE)
      return value !== undefined && sameText(value, cookieValue)
    },
    csrfToken,
    checkCsrf: (offered) => offered !== undefined && sameText(offered, csrfToken),
    sessionCookie: (secure) => `${SESSION_COOKIE}=${cookieValue}; ${attributes(secure)}; Max-Age=${60 * 60 * 24 * 30}`,
    clearedCookie: (secure) => `${SESSION_COOKIE}=; ${attributes(secure)}; Max-Age=0`
  }
}
