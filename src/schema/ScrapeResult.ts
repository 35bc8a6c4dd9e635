import { Schema } from "effect"

export const ScrapeStatus = Schema.Literal("success", "failed", "skipped")
export type ScrapeStatus = typeof ScrapeStatus.Type

export const ScrapedPage = Schema.Struct({
  url: Schema.String,
  httpStatus: Schema.Int
})
export type ScrapedPage = typeof ScrapedPage.Type

/** The outcome of scraping one domain: a failure is a result too, never an error. */
export const ScrapeResult = Schema.Struct({
  domain: Schema.String,
  status: ScrapeStatus,
  /** A `ScrapeErrorReason` (`Timeout`, `HttpStatus`, `RobotsDisallowed`...), null on success. */
  errorKind: Schema.NullOr(Schema.String),
  errorMessage: Schema.NullOr(Schema.String),
  /** A later run may succeed as is (timeouts, resets, 408/429/5xx). */
  retryable: Schema.Boolean,
  /** The URL that answered, after redirects and the https/www/http fallbacks. */
  finalUrl: Schema.NullOr(Schema.String),
  httpStatus: Schema.NullOr(Schema.Int),
  fetchedAt: Schema.DateFromSelf,
  /** sha256 (hex) of `text`, success only. */
  contentHash: Schema.NullOr(Schema.String),
  /** Homepage and extra pages' text within MAX_WEBSITE_TEXT_LENGTH; null unless success. */
  text: Schema.NullOr(Schema.String),
  /** Every page whose text went into `text`, homepage first. */
  pages: Schema.Array(ScrapedPage)
})
export type ScrapeResult = typeof ScrapeResult.Type
