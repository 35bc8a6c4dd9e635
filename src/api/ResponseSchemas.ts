import { Schema } from "effect"
import { ScoreReason } from "../schema/Enrichment.js"
import { Segment } from "../schema/Segment.js"
import { QualificationStatus } from "./QualificationStatus.js"

/**
 * What the API answers, as Effect schemas: the OpenAPI document is generated from them and the tests
 * decode real responses with them, so the two cannot drift apart.
 */

/** Any JSON value, spelled out: Effect would otherwise emit an `$id` the OpenAPI converter turns into a bad reference. */
const AnyJson = Schema.Unknown.annotations({ jsonSchema: { type: ["object", "array", "string", "number", "boolean", "null"] } })

const Timestamp = Schema.String.annotations({ jsonSchema: { type: "string", format: "date-time" } })
const NullableTimestamp = Schema.NullOr(Timestamp)

export const Override = Schema.Struct({
  score: Schema.NullOr(Schema.Int.pipe(Schema.between(0, 100))),
  segment: Schema.NullOr(Segment),
  status: Schema.NullOr(QualificationStatus),
  note: Schema.NullOr(Schema.String),
  author: Schema.String,
  updated_at: Timestamp
}).annotations({ identifier: "Override", description: "a person's correction; null when there is none" })

export const Effective = Schema.Struct({
  score: Schema.NullOr(Schema.Int.pipe(Schema.between(0, 100))),
  segment: Schema.NullOr(Segment),
  status: Schema.NullOr(QualificationStatus)
}).annotations({ identifier: "Effective", description: "the override where a person set one, else the model's values; what lists filter and sort on" })

export const Company = Schema.Struct({
  id: Schema.Int,
  company_name: Schema.String,
  domain: Schema.String,
  country: Schema.NullOr(Schema.String).annotations({ description: "country as given in the input" }),
  country_code: Schema.NullOr(Schema.String).annotations({ description: "ISO 3166-1 alpha-2, null when not recognized" }),
  country_name: Schema.NullOr(Schema.String),
  employee_count: Schema.NullOr(Schema.Int),
  industry_raw: Schema.NullOr(Schema.String),
  website_url: Schema.NullOr(Schema.String),
  website_text_snippet: Schema.NullOr(Schema.String),
  scraping_status: Schema.Literal("pending", "success", "failed", "skipped"),
  scraping_error: Schema.NullOr(Schema.String),
  icp_fit_score: Schema.NullOr(Schema.Int.pipe(Schema.between(0, 100))),
  segment: Schema.NullOr(Segment),
  primary_use_case: Schema.NullOr(Schema.String),
  risk_flags: Schema.Array(Schema.String),
  personalized_pitch: Schema.NullOr(Schema.String),
  score_rationale: Schema.Array(ScoreReason).annotations({ description: "the reasons behind the score, each with its evidence" }),
  confidence: Schema.NullOr(Schema.Number.pipe(Schema.between(0, 1))),
  enrichment_provider: Schema.NullOr(Schema.String),
  enrichment_model: Schema.NullOr(Schema.String),
  prompt_version: Schema.NullOr(Schema.String),
  override: Schema.NullOr(Override),
  effective: Effective,
  enrichment_status: Schema.Literal("pending", "success", "failed"),
  enrichment_error: Schema.NullOr(Schema.String),
  scraped_at: NullableTimestamp,
  enriched_at: NullableTimestamp,
  created_at: Timestamp,
  updated_at: Timestamp
}).annotations({ identifier: "Company" })

export const CompanyList = Schema.Struct({
  total: Schema.Int.annotations({ description: "companies matching the filters, on every page" }),
  companies: Schema.Array(Company),
  next_cursor: Schema.NullOr(Schema.String).annotations({ description: "pass as cursor for the next page; null on the last" })
}).annotations({ identifier: "CompanyList" })

const FacetCount = Schema.Struct({
  value: Schema.String.annotations({ description: "the value to filter on" }),
  label: Schema.String,
  count: Schema.Int
}).annotations({ identifier: "FacetCount" })

export const CompanyFacets = Schema.Struct({
  total: Schema.Int.annotations({ description: "companies matching all the filters" }),
  segment: Schema.Array(FacetCount).annotations({ description: "per effective segment, under the other filters" }),
  country: Schema.Array(FacetCount).annotations({ description: "per country code, under the other filters" }),
  industry: Schema.Array(FacetCount).annotations({ description: "per industry (case-insensitive), under the other filters; the 30 largest" })
}).annotations({ identifier: "CompanyFacets" })

export const OverrideHistory = Schema.Struct({
  company_id: Schema.Int,
  history: Schema.Array(
    Schema.Struct({
      score: Schema.NullOr(Schema.Int),
      segment: Schema.NullOr(Segment),
      status: Schema.NullOr(QualificationStatus),
      note: Schema.NullOr(Schema.String),
      author: Schema.String,
      created_at: Timestamp
    })
  ).annotations({ description: "newest first; the first is the current override (all null: cleared)" })
}).annotations({ identifier: "OverrideHistory" })

const StageProgress = Schema.Struct({
  stage: Schema.String,
  status: Schema.String,
  total: Schema.Int,
  done: Schema.Int,
  failed: Schema.Int,
  skipped: Schema.Int,
  rejected: Schema.Int.annotations({ description: "input lines turned away (clean only)" }),
  duplicates: Schema.Int.annotations({ description: "input lines repeating an earlier line's company (clean only)" }),
  started_at: NullableTimestamp,
  finished_at: NullableTimestamp,
  duration_ms: Schema.NullOr(Schema.Int)
}).annotations({ identifier: "StageProgress" })

export const RunSummary = Schema.Struct({
  id: Schema.Int,
  status: Schema.Literal("running", "succeeded", "failed", "interrupted"),
  input_path: Schema.String,
  input_sha256: Schema.String,
  started_at: Timestamp,
  finished_at: NullableTimestamp,
  duration_ms: Schema.NullOr(Schema.Int).annotations({ description: "null while running" }),
  counts: Schema.Record({ key: Schema.String, value: AnyJson }),
  error: Schema.NullOr(Schema.String)
}).annotations({ identifier: "RunSummary" })

export const RunList = Schema.Struct({
  total: Schema.Int,
  runs: Schema.Array(RunSummary),
  next_cursor: Schema.NullOr(Schema.String)
}).annotations({ identifier: "RunList" })

export const RunDetail = Schema.Struct({
  ...RunSummary.fields,
  settings: Schema.Unknown.annotations({ jsonSchema: { type: "object", description: "the settings the run started with" } }),
  stages: Schema.Array(StageProgress),
  failures: Schema.Array(Schema.Struct({ stage: Schema.String, error_kind: Schema.String, count: Schema.Int })),
  tokens: Schema.Struct({ input: Schema.Int, output: Schema.Int })
}).annotations({ identifier: "RunDetail" })

export const RejectedRow = Schema.Struct({
  line_number: Schema.Int,
  raw: Schema.Unknown.annotations({
    jsonSchema: { type: "object", additionalProperties: { type: "string" }, description: "the row's values as read from the CSV" }
  }),
  reason: Schema.String,
  message: Schema.String,
  duplicate_of_line: Schema.NullOr(Schema.Int)
}).annotations({ identifier: "RejectedRow" })

export const RejectedRowList = Schema.Struct({
  run_id: Schema.Int,
  total: Schema.Int,
  rejects: Schema.Array(RejectedRow),
  next_offset: Schema.NullOr(Schema.Int)
}).annotations({ identifier: "RejectedRowList" })

export const ServiceStatus = Schema.Struct({
  status: Schema.Literal("healthy"),
  service: Schema.Literal("commonforge-api")
}).annotations({ identifier: "ServiceStatus" })

export const Health = Schema.Struct({
  status: Schema.Literal("healthy", "unhealthy"),
  service: Schema.Literal("commonforge-api"),
  database: Schema.Literal("embedded", "server"),
  reason: Schema.optional(Schema.String).annotations({ description: "why the database check failed" })
}).annotations({ identifier: "Health" })

export const ErrorBody = Schema.Struct({
  error: Schema.String,
  details: Schema.Array(
    Schema.Struct({
      parameter: Schema.String,
      in: Schema.Literal("query", "path", "header", "body"),
      message: Schema.String.annotations({ description: "the rule the value broke" })
    })
  )
}).annotations({ identifier: "Error" })
