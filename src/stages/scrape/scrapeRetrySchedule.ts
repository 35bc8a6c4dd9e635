import { Duration, Schedule } from "effect"
import type { ScrapeError } from "./ScrapeError.js"

export interface ScrapeRetryOptions {
  readonly maxRetries: number
  /** First backoff, doubled each time, jittered, capped at maxDelay. */
  readonly baseDelay: Duration.DurationInput
  readonly maxDelay: Duration.DurationInput
  /** The longest Retry-After we wait for; a server asking for more is not retried in this run. */
  readonly retryAfterCap: Duration.DurationInput
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds from `nowMs`; undefined when absent or unreadable. */
export const parseRetryAfter = (value: string | undefined, nowMs: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/**
 * Transient failures only (ScrapeError.retryable: timeouts, resets, 408/429/5xx), exponential with jitter;
 * a Retry-After within the cap lengthens the wait, one beyond it ends the retries (asking sooner is rude).
 */
export const scrapeRetrySchedule = (options: ScrapeRetryOptions) => {
  const cap = Duration.toMillis(options.retryAfterCap)
  return Schedule.exponential(options.baseDelay, 2).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.decode(options.maxDelay))),
    Schedule.intersect(Schedule.recurs(options.maxRetries)),
    Schedule.intersect(Schedule.identity<ScrapeError>()),
    Schedule.whileInput((error: ScrapeError) => error.retryable && (error.retryAfterMs ?? 0) <= cap),
    Schedule.modifyDelay(([, error], delay) =>
      error.retryAfterMs === undefined ? delay : Duration.max(delay, Duration.millis(error.retryAfterMs))
    )
  )
}
