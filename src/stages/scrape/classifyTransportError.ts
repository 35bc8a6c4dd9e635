import { UNPINNED_HOST } from "./pinnedDispatcher.js"
import { ScrapeError, type ScrapeErrorReason } from "./ScrapeError.js"

const byCode: Record<string, ScrapeErrorReason> = {
  ECONNREFUSED: "ConnectionRefused",
  EHOSTUNREACH: "ConnectionRefused",
  ENETUNREACH: "ConnectionRefused",
  EADDRNOTAVAIL: "ConnectionRefused",
  ECONNRESET: "ConnectionReset",
  ECONNABORTED: "ConnectionReset",
  EPIPE: "ConnectionReset",
  UND_ERR_SOCKET: "ConnectionReset",
  UND_ERR_CLOSED: "ConnectionReset",
  ETIMEDOUT: "Timeout",
  UND_ERR_CONNECT_TIMEOUT: "Timeout",
  UND_ERR_HEADERS_TIMEOUT: "Timeout",
  UND_ERR_BODY_TIMEOUT: "Timeout",
  ENOTFOUND: "DnsFailure",
  EAI_AGAIN: "DnsFailure",
  [UNPINNED_HOST]: "BlockedAddress",
  UND_ERR_RES_EXCEEDED_MAX_SIZE: "TooLarge",
  UND_ERR_HEADERS_OVERFLOW: "HeaderTooLarge",
  HPE_HEADER_OVERFLOW: "HeaderTooLarge"
}

const isTls = (code: string) => /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/.test(code)

/** The causes inside a transport failure, outermost first: wrappers, `cause` chains, AggregateError members. */
const causes = (error: unknown): ReadonlyArray<{ code?: string; message?: string }> => {
  const found: Array<{ code?: string; message?: string }> = []
  const visit = (value: unknown, depth: number) => {
    if (depth > 5 || typeof value !== "object" || value === null) return
    found.push(value as { code?: string; message?: string })
    visit((value as { cause?: unknown }).cause, depth + 1)
    for (const member of (value as { errors?: ReadonlyArray<unknown> }).errors ?? []) visit(member, depth + 1)
  }
  visit(error, 0)
  return found
}

/** A failed connection or read, as a typed reason; `Unknown` (retryable) when nothing recognisable is inside. */
export const classifyTransportError = (error: unknown, url: string): ScrapeError => {
  for (const cause of causes(error)) {
    const code = typeof cause.code === "string" ? cause.code : ""
    const reason = byCode[code] ?? (isTls(code) ? "TlsError" : code.startsWith("HPE_") ? "InvalidResponse" : undefined)
    if (reason) {
      return new ScrapeError({ reason, message: `${url}: ${cause.message ?? code} (${code})`, url })
    }
  }
  const message = causes(error).map((c) => c.message).find((m) => typeof m === "string" && m !== "") ?? String(error)
  return new ScrapeError({ reason: "Unknown", message: `${url}: ${message}`, url })
}
