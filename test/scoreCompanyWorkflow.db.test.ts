import { ClusterWorkflowEngine, SingleRunner } from "@effect/cluster"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { ScoreCompanyWorkflow } from "../src/cluster/ScoreCompanyWorkflow.js"
import { makeScoreCompanyWorkflowLive } from "../src/cluster/ScoreCompanyWorkflowLive.js"
import { Pipeline } from "../src/pipeline/Pipeline.js"
import { RunStore } from "../src/pipeline/RunStore.js"
import { Enricher } from "../src/stages/enrich/Enricher.js"
import { EnrichmentCache } from "../src/stages/enrich/EnrichmentCache.js"
import { CompanyWriter } from "../src/stages/persist/CompanyWriter.js"
import { Scraper } from "../src/stages/scrape/Scraper.js"
import { ScrapeStore } from "../src/stages/scrape/ScrapeStore.js"
import { DatabaseLive } from "../src/db/Database.js"
import type { CleanCompany } from "../src/schema/CleanCompany.js"
import { configFrom, freshDatabaseEnv, testDatabaseKind } from "./support/TestDatabase.js"

const company = (domain: string): CleanCompany => ({
  lineNumber: 2,
  companyName: domain,
  domain,
  countryRaw: "DE",
  countryCode: "DE",
  countryName: "Germany",
  employeeCount: 120,
  employeeCountRaw: "120",
  employeeCountMin: 120,
  employeeCountMax: 120,
  industryRaw: "Software"
})

const calls = { scrape: [] as Array<string>, enrich: [] as Array<string>, persist: [] as Array<string> }

/**
 * The real stage declarations with stand-ins for their services: the scraper answers a failed fetch, the
 * enricher dies for `broken.com` (a bug, not a failed call), the writer records what it was given.
 */
const RecordingServices = Layer.mergeAll(
  EnrichmentCache.layerMemory,
  Layer.succeed(
    Scraper,
    Scraper.make({
      scrape: (domain: string) =>
        Effect.sync(() => {
          calls.scrape.push(domain)
          return {
            domain, status: "failed" as const, errorKind: "DnsFailure", errorMessage: "no such host", retryable: false,
            finalUrl: null, httpStatus: null, fetchedAt: new Date("2026-01-01T00:00:00Z"), contentHash: null, text: null, pages: []
          }
        })
    } as never)
  ),
  Layer.succeed(Enricher, {
    provider: "test",
    model: "test",
    promptVersion: "v",
    preflight: Effect.void,
    enrich: (input) =>
      input.domain === "broken.com"
        ? Effect.dieMessage("enricher bug")
        : Effect.sync(() => {
            calls.enrich.push(input.domain)
            return {
              output: { icpFitScore: 50, segment: "SMB", primaryUseCase: "x", riskFlags: [], personalizedPitch: "p", scoreRationale: [{ reason: "size", quote: null, verified: false }, { reason: "industry", quote: null, verified: false }], confidence: 0.2 } as never,
              provider: "test", model: "test", promptVersion: "v", inputHash: `h-${input.domain}`, inputTokens: 1, outputTokens: 1, latencyMs: 1, cached: false
            }
          })
  }),
  Layer.succeed(
    CompanyWriter,
    CompanyWriter.make({
      upsertBatch: (records) =>
        Effect.sync(() => void calls.persist.push(...records.map((r) => r.company.domain)))
    })
  )
)

/** One process, the workflow engine on SingleRunner with SQL storage in the test database. */
const TestCluster = Layer.unwrapScoped(
  Effect.gen(function* () {
    const env = yield* freshDatabaseEnv
    const database = DatabaseLive.pipe(Layer.provide(configFrom(env)))
    const clusterSql = PgClient.layer({ url: Redacted.make(env.DATABASE_URL!) })
    return makeScoreCompanyWorkflowLive(Pipeline, ScoreCompanyWorkflow).pipe(
      Layer.provideMerge(ClusterWorkflowEngine.layer),
      Layer.provideMerge(SingleRunner.layer({ runnerStorage: "memory" }).pipe(Layer.provide(clusterSql))),
      Layer.provide(RecordingServices),
      Layer.provideMerge(ScrapeStore.Default),
      Layer.provideMerge(RunStore.Default),
      Layer.provideMerge(database)
    )
  })
)

const payload = (domain: string, attempt = 1) => ({
  runId: 1,
  attempt,
  stages: ["load", "clean", "scrape", "merge", "enrich", "persist"] as const,
  retryFailed: false,
  company: company(domain)
})

describe.skipIf(testDatabaseKind === "embedded")("ScoreCompany workflow (server database, SingleRunner)", () => {
  it.layer(TestCluster, { timeout: 60_000 })((it) => {
    it.effect("runs each step once per execution; the same execution id returns the stored result; a new attempt runs again", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO runs (id, input_path, input_sha256, settings) VALUES (1, 'x.csv', 'abc', '{}'::jsonb)`
        const first = yield* ScoreCompanyWorkflow.execute(payload("ok.com"))
        expect(first).toEqual({ domain: "ok.com", outcomes: { scrape: "failed", merge: "done", enrich: "done" } })
        const items = yield* sql<{ stage: string; attempts: number }>`
          SELECT stage, attempts FROM run_items WHERE domain = 'ok.com' ORDER BY stage`
        expect(items).toEqual([
          { stage: "enrich", attempts: 1 },
          { stage: "persist", attempts: 1 },
          { stage: "scrape", attempts: 1 }
        ])

        const again = yield* ScoreCompanyWorkflow.execute(payload("ok.com"))
        expect(again).toEqual(first)
        expect(calls).toMatchObject({ scrape: ["ok.com"], enrich: ["ok.com"], persist: ["ok.com"] })
        expect(yield* ScoreCompanyWorkflow.executionId(payload("ok.com"))).not.toBe(
          yield* ScoreCompanyWorkflow.executionId(payload("ok.com", 2))
        )

        yield* ScoreCompanyWorkflow.execute(payload("ok.com", 2))
        expect(calls.enrich).toEqual(["ok.com", "ok.com"])
        const retried = yield* sql<{ attempts: number }>`SELECT attempts FROM run_items WHERE domain = 'ok.com' AND stage = 'persist'`
        expect(retried).toEqual([{ attempts: 2 }])
      })
    )

    it.effect("a step that dies still leaves the company terminal: failed, retryable, with the defect recorded", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const result = yield* ScoreCompanyWorkflow.execute(payload("broken.com"))
        expect(result.outcomes).toEqual({ workflow: "WorkflowDefect" })
        const items = yield* sql<{ stage: string; status: string; errorKind: string; retryable: boolean; message: string }>`
          SELECT stage, status, error_kind AS "errorKind", retryable, error_message AS message FROM run_items WHERE domain = 'broken.com'`
        expect(items).toHaveLength(1)
        expect(items[0]).toMatchObject({ stage: "persist", status: "failed", errorKind: "WorkflowDefect", retryable: true })
        expect(items[0]!.message).toContain("enricher bug")
        expect(calls.persist).not.toContain("broken.com")
      })
    )
  })
})
