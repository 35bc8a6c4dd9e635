import { ClusterWorkflowEngine, SingleRunner } from "@effect/cluster"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { ScoreCompanyWorkflow } from "../src/cluster/ScoreCompanyWorkflow.js"
import { ScoreCompanyWorkflowLive } from "../src/cluster/ScoreCompanyWorkflowLive.js"
import { CompanySteps } from "../src/pipeline/CompanySteps.js"
import { RunStore } from "../src/pipeline/RunStore.js"
import { DatabaseLive } from "../src/db/Database.js"
import type { CleanCompany } from "../src/schema/CleanCompany.js"
import type { EnrichmentOutcome } from "../src/stages/persist/CompanyWriter.js"
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

/** Steps that record their calls; enrich dies for `broken.com` (a bug, not a failed call). */
const RecordingSteps = Layer.effect(
  CompanySteps,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const runs = yield* RunStore
    return CompanySteps.make({
      scrape: (c) =>
        Effect.sync(() => {
          calls.scrape.push(c.domain)
          return {
            scrape: {
              domain: c.domain, status: "failed" as const, errorKind: "Dns", errorMessage: "no such host", retryable: false,
              finalUrl: null, httpStatus: null, fetchedAt: new Date("2026-01-01T00:00:00Z"), contentHash: null, text: null, pages: []
            },
            scraped: true
          }
        }),
      enrich: (c) =>
        c.domain === "broken.com"
          ? Effect.dieMessage("enricher bug")
          : Effect.sync((): EnrichmentOutcome => {
              calls.enrich.push(c.domain)
              return { _tag: "NotEnriched" }
            }),
      persist: (runId, batch, options) =>
        Effect.gen(function* () {
          calls.persist.push(...batch.map((b) => b.company.domain))
          yield* runs.recordItems(
            runId,
            batch.map((b) => ({
              domain: b.company.domain, stage: "persist" as const, status: "succeeded" as const, errorKind: null,
              errorMessage: null, retryable: false, outputHash: b.scrape?.fetchedAt.toISOString() ?? null, inputTokens: 0, outputTokens: 0
            })),
            options.attempt
          )
        }).pipe(Effect.orDie, Effect.tap(() => sql`SELECT 1`.pipe(Effect.orDie)))
    })
  })
)

/** One process, the workflow engine on SingleRunner with SQL storage in the test database. */
const TestCluster = Layer.unwrapScoped(
  Effect.gen(function* () {
    const env = yield* freshDatabaseEnv
    const database = DatabaseLive.pipe(Layer.provide(configFrom(env)))
    const clusterSql = PgClient.layer({ url: Redacted.make(env.DATABASE_URL!) })
    return ScoreCompanyWorkflowLive.pipe(
      Layer.provideMerge(ClusterWorkflowEngine.layer),
      Layer.provideMerge(SingleRunner.layer({ runnerStorage: "memory" }).pipe(Layer.provide(clusterSql))),
      Layer.provide(RecordingSteps),
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
        expect(first).toEqual({ domain: "ok.com", scrape: "failed", enrichment: "NotEnriched" })
        // The scrape result crossed the message storage as JSON and came back with its Date.
        const items = yield* sql<{ outputHash: string; attempts: number }>`
          SELECT output_hash AS "outputHash", attempts FROM run_items WHERE domain = 'ok.com' AND stage = 'persist'`
        expect(items).toEqual([{ outputHash: "2026-01-01T00:00:00.000Z", attempts: 1 }])

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
        expect(result.enrichment).toBe("WorkflowDefect")
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
