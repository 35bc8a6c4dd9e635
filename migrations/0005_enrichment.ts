import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE companies
      ADD COLUMN score_rationale jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN confidence real CHECK (confidence IS NULL OR confidence BETWEEN 0 AND 1),
      ADD COLUMN enrichment_provider text,
      ADD COLUMN enrichment_model text,
      ADD COLUMN prompt_version text,
      ADD COLUMN enrichment_input_tokens integer,
      ADD COLUMN enrichment_output_tokens integer,
      ADD COLUMN enrichment_latency_ms integer,
      ADD COLUMN enriched_at timestamptz,
      ADD COLUMN enrichment_error_kind text,
      ADD COLUMN enrichment_failed_at timestamptz`
  // Cache keyed by a hash of everything the enrichment depends on: unchanged input is never sent again.
  yield* sql`
    CREATE TABLE enrichments (
      input_hash text PRIMARY KEY,
      domain text NOT NULL,
      provider text NOT NULL,
      model text NOT NULL,
      prompt_version text NOT NULL,
      output jsonb NOT NULL,
      input_tokens integer NOT NULL DEFAULT 0,
      output_tokens integer NOT NULL DEFAULT 0,
      latency_ms integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX enrichments_domain_idx ON enrichments (domain)`
})
