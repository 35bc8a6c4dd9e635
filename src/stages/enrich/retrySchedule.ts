import { Duration, Schedule } from "effect"
import type { EnrichError } from "../../schema/EnrichError.js"

export interface RetryOptions {
  readonly maxRetries: number
  /** First backoff; doubled each time, jittered, capped at maxDelay. */
  readonly baseDelay: Duration.DurationInput
  readonly maxDelay: Duration.DurationInput
}

/** A server's Retry-After wins over a shorter backoff; never shorten what it asked for. */
export const retryDelay = (error: EnrichError, backoff: Duration.Duration): Duration.Duration =>
  error.retryAfterMs === undefined ? backoff : Duration.max(backoff, Duration.millis(error.retryAfterMs))

/** Retries transient failures only (EnrichError.retryable), with exponential backoff and jitter. */
export const transientRetrySchedule = (options: RetryOptions) =>
  Schedule.exponential(options.baseDelay, 2).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.decode(options.maxDelay))),
    Schedule.intersect(Schedule.recurs(options.maxRetries)),
    Schedule.intersect(Schedule.identity<EnrichError>()),
    Schedule.whileInput((error: EnrichError) => error.retryable),
    Schedule.modifyDelay(([, error], delay) => retryDelay(error, delay))
  )
