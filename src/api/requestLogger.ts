import type { MiddlewareHandler } from "hono"
import { Effect } from "effect"

const MAX_LOGGED_URL = 300

/** One log line per request with its status and latency, written through the server's Effect logger. */
export const requestLogger = (log: (effect: Effect.Effect<void>) => void): MiddlewareHandler => async (c, next) => {
  const start = performance.now()
  await next()
  const status = c.res.status
  const durationMs = Math.round((performance.now() - start) * 100) / 100
  const raw = c.req.url
  const query = raw.indexOf("?")
  const target = query === -1 ? c.req.path : `${c.req.path}${raw.slice(query)}`
  const message = `${c.req.method} ${c.req.path} ${status} ${durationMs}ms`
  const line = status >= 500 ? Effect.logError(message) : status >= 400 ? Effect.logWarning(message) : Effect.logInfo(message)
  log(
    line.pipe(
      Effect.annotateLogs({
        method: c.req.method,
        url: target.length > MAX_LOGGED_URL ? `${target.slice(0, MAX_LOGGED_URL)}…` : target,
        status,
        duration_ms: durationMs
      })
    )
  )
}
