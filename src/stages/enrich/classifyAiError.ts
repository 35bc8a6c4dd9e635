import type * as AiError from "@effect/ai/AiError"
import { EnrichError } from "../../schema/EnrichError.js"
import { sanitizeText } from "../../schema/sanitizeText.js"

/** The server's wait request: `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, capped at a minute. */
export const retryAfterMs = (headers: Readonly<Record<string, string>>, now = Date.now()): number | undefined => {
  const get = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1]?.trim()
  const ms = get("retry-after-ms")
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.min(60_000, Number(ms))
  const value = get("retry-after")
  if (value === undefined || value === "") return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.min(60_000, Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.min(60_000, Math.max(0, date - now))
}

const excerpt = (text: string | undefined, max = 200) => {
  if (text === undefined) return ""
  const flat = sanitizeText(text).replace(/\s+/g, " ").trim()
  return flat.length <= max ? flat : `${flat.slice(0, max)}…`
}

/**
 * What went wrong, in the stage's terms. Transport failures, 408/429/5xx and garbled envelopes may pass on a
 * retry; other 4xx (bad key, unknown model) will not. Schema failures of the answer itself are InvalidOutput,
 * handled by the validation retry, not here.
 */
export const classifyAiError = (error: AiError.AiError): EnrichError => {
  switch (error._tag) {
    case "HttpRequestError":
      return new EnrichError({
        reason: error.reason === "Transport" ? "Connection" : "Unknown",
        message: `${error.reason === "Transport" ? "Connection failed" : "Could not send the request"}: ${error.request.method} ${error.request.url}${error.description ? ` (${excerpt(error.description)})` : ""}`,
        retryable: error.reason === "Transport"
      })
    case "HttpResponseError": {
      const status = error.response.status
      const detail = excerpt(error.body && error.body !== "undefined" ? error.body : error.description)
      const where = `${error.request.method} ${error.request.url}`
      if (error.reason !== "StatusCode") {
        return new EnrichError({ reason: "ServerError", message: `Unreadable response (${error.reason}) from ${where}: ${detail}`, retryable: true })
      }
      if (status === 429) {
        return new EnrichError({
          reason: "RateLimited",
          message: `HTTP 429 from ${where}: ${detail}`,
          retryable: true,
          retryAfterMs: retryAfterMs(error.response.headers)
        })
      }
      if (status === 408) return new EnrichError({ reason: "Timeout", message: `HTTP 408 from ${where}: ${detail}`, retryable: true })
      if (status >= 500) return new EnrichError({ reason: "ServerError", message: `HTTP ${status} from ${where}: ${detail}`, retryable: true })
      return new EnrichError({ reason: "Unknown", message: `HTTP ${status} from ${where}: ${detail}`, retryable: false })
    }
    case "MalformedOutput":
      // The provider's own envelope failed to decode: the server misbehaved, the model did not.
      if (error.module !== "LanguageModel") {
        // Ours (ChatCompletions) say it in one sentence, the body after it; others' descriptions are schema dumps.
        const description = error.description ?? error.message
        const readable = error.module === "ChatCompletions" ? description : description.split("\n")[0]!
        return new EnrichError({
          reason: "ServerError",
          message: `Malformed response from the LLM server: ${excerpt(readable, 500)}`,
          rawExcerpt: excerpt(description, 500),
          retryable: true
        })
      }
      return new EnrichError({ reason: "InvalidOutput", message: error.description ?? "The answer did not match the schema", retryable: false })
    case "MalformedInput":
      return new EnrichError({ reason: "Unknown", message: `Could not build the request: ${excerpt(error.description ?? error.message)}`, retryable: false })
    case "UnknownError":
      return new EnrichError({ reason: "Unknown", message: excerpt(error.description ?? error.message, 500), retryable: false })
  }
}
