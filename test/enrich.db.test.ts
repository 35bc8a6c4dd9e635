import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Logger, LogLevel } from "effect"
import { DatabaseLive } from "../src/db/Database.js"
import { Enricher, EnricherLive } from "../src/stages/enrich/Enricher.js"
import type { EnrichmentInput } from "../src/stages/enrich/EnrichmentInput.js"
import { inputHash } from "../src/stages/enrich/inputHash.js"
import { CompanyWriter } from "../src/stages/persist/CompanyWriter.js"
import { type FakeScript, startFakeLlmServer } from "./support/fakeLlmServer.js"
import { configFrom, freshDatabaseEnv, testDatabaseKind } from "./support/TestDatabase.js"

const company: EnrichmentInput = {
  companyName: "Globex",
  domain: "globex.example",
  countryName: "United States",
  countryRaw: "US",
  employeeCount: 1200,
  industry: "Fintech",
  websiteText: "Globex is a payments platform with APIs for automated reconciliation and reporting."
}

/** A migrated database, a fake LLM server, and a way to start any number of EnricherLive instances on them. */
const setup = (script?: FakeScript) =>
  Effect.gen(function* () {
    const env = yield* freshDatabaseEnv
    const db = yield* Layer.build(DatabaseLive.pipe(Layer.provide(configFrom(env))))
    const server = yield* startFakeLlmServer(script ? { script } : {})
    const llmEnv = { LLM_PROVIDER: "auto", OPENAI_BASE_URL: server.url, OPENAI_MODEL: "fake-model", LLM_MAX_RETRIES: "0" }
    const startEnricher = Layer.build(
      EnricherLive.pipe(Layer.provide(Layer.succeedContext(db)), Layer.provide(configFrom(llmEnv)))
    ).pipe(Effect.map(Context.get(Enricher)), Logger.withMinimumLogLevel(LogLevel.Warning))
    const sql = Context.get(db, SqlClient.SqlClient)
    return { server, startEnricher, sql }
  })

describe(`enrichment cache (${testDatabaseKind})`, () => {
  it.scopedLive("an enrichment is stored and reused by a later run: unchanged input is never sent again", () =>
    Effect.gen(function* () {
      const { server, startEnricher, sql } = yield* setup()
      const first = yield* startEnricher
      expect(first.provider).toBe("openai-compatible")
      const a = yield* first.enrich(company)
      expect(a.cached).toBe(false)

      const second = yield* startEnricher
      const b = yield* second.enrich(company)
      expect(server.calls()).toBe(1)
      expect(b).toMatchObject({ cached: true, inputHash: a.inputHash, inputTokens: a.inputTokens, outputTokens: a.outputTokens })
      expect(b.output).toEqual(a.output)

      const rows = yield* sql<{ domain: string; provider: string; model: string; promptVersion: string; inputTokens: number }>`
        SELECT domain, provider, model, prompt_version AS "promptVersion", input_tokens AS "inputTokens"
        FROM enrichments WHERE input_hash = ${inputHash(company, second)}`
      expect(rows).toEqual([
        { domain: "globex.example", provider: "openai-compatible", model: "fake-model", promptVersion: second.promptVersion, inputTokens: a.inputTokens }
      ])

      yield* second.enrich({ ...company, websiteText: `${company.websiteText} Now with AI agents.` })
      expect(server.calls()).toBe(2)
    }))

  it.scopedLive("failures are not cached", () =>
    Effect.gen(function* () {
      const { server, startEnricher, sql } = yield* setup([{ type: "status", status: 500 }])
      const enricher = yield* startEnricher
      expect(Exit.isFailure(yield* Effect.exit(enricher.enrich(company)))).toBe(true)
      expect(yield* sql`SELECT 1 FROM enrichments`).toHaveLength(0)
      yield* enricher.enrich(company)
      expect(server.calls()).toBe(2)
      expect(yield* sql`SELECT 1 FROM enrichments`).toHaveLength(1)
    }))

  it.scopedLive("a stored row that no longer fits the schema counts as a miss and is replaced", () =>
    Effect.gen(function* () {
      const { server, startEnricher, sql } = yield* setup()
      const enricher = yield* startEnricher
      const hash = inputHash(company, enricher)
      yield* sql`
        INSERT INTO enrichments (input_hash, domain, provider, model, prompt_version, output)
        VALUES (${hash}, ${company.domain}, ${enricher.provider}, ${enricher.model}, ${enricher.promptVersion}, ${JSON.stringify({ score: 5 })})`
      const result = yield* enricher.enrich(company)
      expect(result.cached).toBe(false)
      expect(server.calls()).toBe(1)
      const [row] = yield* sql<{ score: number }>`SELECT (output->>'icpFitScore')::int AS score FROM enrichments WHERE input_hash = ${hash}`
      expect(row!.score).toBe(result.output.icpFitScore)
    }))

  it.scopedLive("text the LLM answers with U+0000 in it is stored without it, in the cache and in companies", () =>
    Effect.gen(function* () {
      const answer = {
        icp_fit_score: 77,
        segment: "Enterprise",
        primary_use_case: "Reconciliation\u0000 automation",
        risk_flags: ["long\u0000 procurement"],
        personalized_pitch: "Globex, automate\u0000 reconciliation with CommonForge.",
        score_rationale: [
          { reason: "Payments platform\u0000.", quote: null },
          { reason: "Large team.", quote: "payments platform\u0000" }
        ],
        confidence: 0.7
      }
      const { startEnricher, sql } = yield* setup([{ type: "object", value: answer }])
      const enricher = yield* startEnricher
      const sizeless: EnrichmentInput = { ...company, employeeCount: null }
      const result = yield* enricher.enrich(sizeless)
      expect(JSON.stringify(result.output)).not.toContain("\\u0000")
      expect(result.output.personalizedPitch).toBe("Globex, automate reconciliation with CommonForge.")
      expect(result.output.segment).toBe("Unknown")
      const [cached] = yield* sql<{ output: string }>`SELECT output::text AS output FROM enrichments`
      expect(cached!.output).not.toContain("\\u0000")

      const db = yield* Effect.context<SqlClient.SqlClient>().pipe(Effect.provideService(SqlClient.SqlClient, sql))
      const writer = yield* CompanyWriter.pipe(Effect.provide(CompanyWriter.Default), Effect.provide(db))
      yield* writer.upsertBatch([
        {
          company: {
            lineNumber: 2,
            companyName: "Globex",
            domain: company.domain,
            countryRaw: "US",
            countryCode: "US",
            countryName: "United States",
            employeeCount: null,
            employeeCountRaw: null,
            employeeCountMin: null,
            employeeCountMax: null,
            industryRaw: "Fintech"
          },
          scrape: null,
          enrichment: { _tag: "Enriched", result }
        },
        {
          company: {
            lineNumber: 3,
            companyName: "Initech",
            domain: "initech.example",
            countryRaw: "US",
            countryCode: "US",
            countryName: "United States",
            employeeCount: 10_001,
            employeeCountRaw: "10,001+",
            employeeCountMin: 10_001,
            employeeCountMax: null,
            industryRaw: "Software"
          },
          scrape: null,
          enrichment: { _tag: "NotEnriched" }
        }
      ])
      const rows = yield* sql<{ domain: string; pitch: string | null; segment: string | null; raw: string | null; min: number | null; max: number | null }>`
        SELECT domain, personalized_pitch AS pitch, segment, employee_count_raw AS raw, employee_count_min AS min, employee_count_max AS max
        FROM companies ORDER BY domain`
      expect(rows).toEqual([
        { domain: "globex.example", pitch: "Globex, automate reconciliation with CommonForge.", segment: "Unknown", raw: null, min: null, max: null },
        { domain: "initech.example", pitch: null, segment: null, raw: "10,001+", min: 10_001, max: null }
      ])
    }))
})
