import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { batchedLookup } from "../../db/batchedLookup.js"
import { Enrichment } from "../../schema/Enrichment.js"

export interface CachedEnrichment {
  readonly inputHash: string
  readonly domain: string
  readonly provider: string
  readonly model: string
  readonly promptVersion: string
  readonly output: Enrichment
  readonly inputTokens: number
  readonly outputTokens: number
  readonly latencyMs: number
}

const CacheRow = Schema.Struct({
  inputHash: Schema.String,
  domain: Schema.String,
  provider: Schema.String,
  model: Schema.String,
  promptVersion: Schema.String,
  output: Enrichment,
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  latencyMs: Schema.Number
})
const decodeRow = Schema.decodeUnknownOption(CacheRow)
// Read as stored, decoded call by call: one row of an older shape must not fail the rest of its batch.
const StoredRow = Schema.Struct({ ...CacheRow.fields, output: Schema.Unknown })
const encodeOutput = Schema.encodeSync(Enrichment)

/** Successful enrichments by input hash (table `enrichments`). Failures are never cached. */
export class EnrichmentCache extends Context.Tag("EnrichmentCache")<
  EnrichmentCache,
  {
    readonly get: (inputHash: string) => Effect.Effect<Option.Option<CachedEnrichment>, SqlError>
    readonly put: (entry: CachedEnrichment) => Effect.Effect<void, SqlError>
  }
>() {
  /** Concurrent gets share one statement, concurrent puts another (batchedLookup, batchedUpsert). */
  static readonly layerSql = Layer.scoped(
    EnrichmentCache,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const lookup = yield* batchedLookup("EnrichmentCache.get", {
        Result: StoredRow,
        key: (row) => row.inputHash,
        select: (hashes) =>
          sql`
            SELECT input_hash AS "inputHash", domain, provider, model, prompt_version AS "promptVersion", output,
                   input_tokens AS "inputTokens", output_tokens AS "outputTokens", latency_ms AS "latencyMs"
            FROM enrichments WHERE input_hash IN ${sql.in(hashes)}`
      })
      return EnrichmentCache.of({
        get: (inputHash) =>
          lookup(inputHash).pipe(
            // A row written by an older shape of the schema no longer decodes: it counts as a miss.
            Effect.map(Option.flatMap(decodeRow)),
            Effect.withSpan("EnrichmentCache.get")
          ),
        // Not held back to share a statement as lookups are: a paid answer is stored the moment it arrives, so
        // a runner that dies right after has it to give (a repeated call costs far more than a round trip).
        put: (entry) =>
          sql`
            INSERT INTO enrichments ${sql.insert({
              input_hash: entry.inputHash,
              domain: entry.domain,
              provider: entry.provider,
              model: entry.model,
              prompt_version: entry.promptVersion,
              output: JSON.stringify(encodeOutput(entry.output)),
              input_tokens: entry.inputTokens,
              output_tokens: entry.outputTokens,
              latency_ms: Math.round(entry.latencyMs)
            })}
            ON CONFLICT (input_hash) DO UPDATE SET
              output = EXCLUDED.output, input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
              latency_ms = EXCLUDED.latency_ms, created_at = now()`.pipe(Effect.asVoid, Effect.withSpan("EnrichmentCache.put"))
      })
    })
  )

  /** Per process only: for tests and benches that need no database. */
  static readonly layerMemory = Layer.sync(EnrichmentCache, () => {
    const entries = new Map<string, CachedEnrichment>()
    return EnrichmentCache.of({
      get: (inputHash) => Effect.sync(() => Option.fromNullable(entries.get(inputHash))),
      put: (entry) => Effect.sync(() => void entries.set(entry.inputHash, entry))
    })
  })
}
