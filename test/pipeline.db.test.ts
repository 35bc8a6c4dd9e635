import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { PipelineLayer } from "../src/pipeline/PipelineLayer.js"
import { defaultPipelineOptions, type PipelineOptions } from "../src/pipeline/PipelineOptions.js"
import { Pipeline } from "../src/pipeline/Pipeline.js"
import { runPipeline } from "../src/pipeline/runPipeline.js"
import { companySite } from "./support/companySites.js"
import { type FakeBehaviour, startFakeLlmServer } from "./support/fakeLlmServer.js"
import { type FixtureSite, html, htmlPage, startFixtureSites } from "./support/fixtureSites.js"
import { fixtureEnv } from "./support/pipelineHarness.js"
import { configFrom, freshDatabaseEnv, makeTempDir, testDatabaseKind } from "./support/TestDatabase.js"

const flakySite: FixtureSite = {
  routes: {
    "/": [{ status: 503, headers: { "retry-after": "0" } }, html(htmlPage({ title: "Flaky", body: "We automate support workflows. ".repeat(20) }))]
  }
}

/** The pipeline in this process against fixture sites and the fake LLM; `llmScript` can be changed between runs. */
const setup = Effect.gen(function* () {
  const sites = yield* startFixtureSites({ sites: (host) => (host === "flaky-site.com" ? flakySite : companySite(host)) })
  let llmScript: (domain: string | undefined) => FakeBehaviour | undefined = () => undefined
  const llm = yield* startFakeLlmServer({ script: (request) => llmScript(request.company?.company.domain) })
  const dir = makeTempDir("pipeline")
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  const db = yield* freshDatabaseEnv
  const baseEnv = {
    ...db,
    ...fixtureEnv({ sitesPort: sites.port, llmUrl: llm.url }),
    SCRAPER_MAX_RETRIES: "0",
    LLM_MAX_RETRIES: "0"
  }
  const run = (options: Partial<PipelineOptions>, env: Record<string, string> = {}) =>
    Effect.gen(function* () {
      const shutdown = yield* Deferred.make<void>()
      return yield* runPipeline(Pipeline, { ...defaultPipelineOptions, ...options }, { mode: "json", shutdown })
    }).pipe(Effect.provide(PipelineLayer.pipe(Layer.provide(configFrom({ ...baseEnv, ...env })))))
  const query = <A extends object>(text: string) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      return yield* sql.unsafe<A>(text)
    }).pipe(Effect.provide(PipelineLayer.pipe(Layer.provide(configFrom(baseEnv)))))
  const csv = (name: string, lines: ReadonlyArray<string>) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, ["company_name,domain,country,employee_count,industry_raw", ...lines].join("\n") + "\n")
    return file
  }
  return { sites, llm, run, query, csv, setScript: (s: typeof llmScript) => (llmScript = s) }
})

describe(`pipeline in process (${testDatabaseKind} database)`, () => {
  it.scoped(
    "accounts for every line: companies persisted, rejections recorded per run with reasons, progress per company",
    () =>
      Effect.gen(function* () {
        const t = yield* setup
        const input = t.csv("messy.csv", [
          "Company 1,https://www.co-00001.com/about?x=1,USA,\"1,200\",Software",
          "Company 2,CO-00002.COM,United States,5k,Logistics",
          "Nameless,co-00003.com,US,NA,Retail",
          "Company 1 again,co-00001.com,US,10,Software",
          "Local,localhost,US,10,Software",
          "Lowe&#8217;s,co-00004.com,\"USA; Remote\",300000,Retail"
        ])
        const summary = yield* t.run({ input })
        expect(summary._tag).toBe("Completed")
        const companies = yield* t.query<{ domain: string; company_name: string; employee_count: number; country_code: string }>(
          "SELECT domain, company_name, employee_count, country_code FROM companies ORDER BY domain"
        )
        expect(companies).toEqual([
          { domain: "co-00001.com", company_name: "Company 1", employee_count: 1200, country_code: "US" },
          { domain: "co-00002.com", company_name: "Company 2", employee_count: 5000, country_code: "US" },
          { domain: "co-00004.com", company_name: "Lowe’s", employee_count: 300000, country_code: "US" }
        ])
        const rejects = yield* t.query<{ line_number: number; reason: string; duplicate_of_line: number | null }>(
          "SELECT line_number, reason, duplicate_of_line FROM rejected_rows WHERE run_id = 1 ORDER BY line_number"
        )
        expect(rejects.map((r) => [r.line_number, r.duplicate_of_line])).toEqual([
          [4, null],
          [5, 2],
          [6, null]
        ])
        expect(rejects[1]!.reason).toBe("Duplicate")
        const items = yield* t.query<{ stage: string; n: number }>(
          "SELECT stage, count(*)::int AS n FROM run_items WHERE run_id = 1 AND status = 'succeeded' GROUP BY stage ORDER BY stage"
        )
        expect(items).toEqual([
          { stage: "enrich", n: 3 },
          { stage: "persist", n: 3 },
          { stage: "scrape", n: 3 }
        ])
        const stages = yield* t.query<{ stage: string; status: string; done: number; failed: number; rejected: number; duplicates: number }>(
          "SELECT stage, status, done, failed, rejected, duplicates FROM run_stages WHERE run_id = 1 ORDER BY stage"
        )
        // A rejected or duplicate line is not a failure of the stage.
        expect(stages.find((s) => s.stage === "clean")).toEqual({
          stage: "clean",
          status: "succeeded",
          done: 3,
          failed: 0,
          rejected: 2,
          duplicates: 1
        })
      }),
    120_000
  )

  it.scoped(
    "a run of the input stages alone records every rejected and duplicate line and the counters, and nothing per company",
    () =>
      Effect.gen(function* () {
        const t = yield* setup
        // Enough rejections for several batches, written while the input is still being read.
        const lines = Array.from({ length: 6000 }, (_, i) => {
          const id = i - (i % 2)
          return i % 1000 === 999 ? `Local ${i},localhost,US,10,Software` : `Company ${id},co-${id}.com,US,${10 + (id % 500)},Software`
        })
        const summary = yield* t.run({ input: t.csv("half.csv", lines), only: ["load", "clean"] })
        expect(summary._tag === "Completed" && summary.status).toBe("succeeded")
        const [rejects] = yield* t.query<{ n: number; duplicates: number; first: number; last: number; wrong: number }>(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE reason = 'Duplicate')::int AS duplicates,
             min(line_number) AS first, max(line_number) AS last,
             count(*) FILTER (WHERE reason = 'Duplicate' AND duplicate_of_line <> line_number - 1)::int AS wrong
           FROM rejected_rows WHERE run_id = 1`
        )
        // Line i + 2 holds row i: every odd row repeats the one before it, every thousandth is refused.
        expect(rejects).toEqual({ n: 3000, duplicates: 2994, first: 3, last: 6001, wrong: 0 })
        const [local] = yield* t.query<{ reason: string; raw: Record<string, string> }>(
          "SELECT reason, raw FROM rejected_rows WHERE run_id = 1 AND line_number = 1001"
        )
        expect(local!.raw).toEqual({ company_name: "Local 999", domain: "localhost", country: "US", employee_count: "10", industry_raw: "Software" })
        expect(local!.reason).not.toBe("Duplicate")
        const stages = yield* t.query<{ stage: string; status: string; total: number; done: number; rejected: number; duplicates: number }>(
          "SELECT stage, status, total, done, rejected, duplicates FROM run_stages WHERE run_id = 1 ORDER BY stage"
        )
        expect(stages).toEqual([
          { stage: "clean", status: "succeeded", total: 6000, done: 3000, rejected: 6, duplicates: 2994 },
          { stage: "enrich", status: "skipped", total: 0, done: 0, rejected: 0, duplicates: 0 },
          { stage: "load", status: "succeeded", total: 6000, done: 6000, rejected: 0, duplicates: 0 },
          { stage: "merge", status: "skipped", total: 0, done: 0, rejected: 0, duplicates: 0 },
          { stage: "persist", status: "skipped", total: 0, done: 0, rejected: 0, duplicates: 0 },
          { stage: "scrape", status: "skipped", total: 0, done: 0, rejected: 0, duplicates: 0 }
        ])
        const [run] = yield* t.query<{ status: string; finished: boolean }>("SELECT status, finished_at IS NOT NULL AS finished FROM runs WHERE id = 1")
        expect(run).toEqual({ status: "succeeded", finished: true })
        const [written] = yield* t.query<{ items: number; companies: number; scrapes: number }>(
          `SELECT (SELECT count(*) FROM run_items)::int AS items, (SELECT count(*) FROM companies)::int AS companies,
             (SELECT count(*) FROM scrapes)::int AS scrapes`
        )
        expect(written).toEqual({ items: 0, companies: 0, scrapes: 0 })
        expect(t.sites.requests()).toBe(0)
      }),
    120_000
  )

  it.scoped(
    "a failed re-enrichment keeps the last successful one and records the failure beside it",
    () =>
      Effect.gen(function* () {
        const t = yield* setup
        const input = t.csv("two.csv", ["Company 1,co-00001.com,US,500,Software", "Company 2,co-00002.com,US,500,Software"])
        yield* t.run({ input })
        const [before] = yield* t.query<{ icp_fit_score: number; personalized_pitch: string }>(
          "SELECT icp_fit_score, personalized_pitch FROM companies WHERE domain = 'co-00001.com'"
        )
        t.setScript((domain) => (domain === "co-00001.com" ? { type: "status", status: 500 } : undefined))
        // Another model: the enrichment cache does not apply, so the model is asked again and fails.
        yield* t.run({ input }, { OPENAI_MODEL: "fake-model-2" })
        const [after] = yield* t.query<Record<string, unknown>>(
          `SELECT icp_fit_score, personalized_pitch, enrichment_status, enrichment_model, enrichment_error_kind,
             enrichment_failed_at IS NOT NULL AS failed_recorded FROM companies WHERE domain = 'co-00001.com'`
        )
        expect(after).toEqual({
          icp_fit_score: before!.icp_fit_score,
          personalized_pitch: before!.personalized_pitch,
          enrichment_status: "success",
          enrichment_model: "fake-model",
          enrichment_error_kind: "ServerError",
          failed_recorded: true
        })
        const [other] = yield* t.query<{ enrichment_model: string }>("SELECT enrichment_model FROM companies WHERE domain = 'co-00002.com'")
        expect(other!.enrichment_model).toBe("fake-model-2")
      }),
    120_000
  )

  it.scoped(
    "continuing a run retries only what failed with a retryable error; stages one after another give the same rows",
    () =>
      Effect.gen(function* () {
        const t = yield* setup
        const input = t.csv("flaky.csv", ["Flaky,flaky-site.com,US,500,Software", "Company 1,co-00001.com,US,500,Software"])
        yield* t.run({ input })
        const [first] = yield* t.query<{ scraping_status: string }>("SELECT scraping_status FROM companies WHERE domain = 'flaky-site.com'")
        expect(first!.scraping_status).toBe("failed")
        const requestsBefore = t.sites.log().length
        const callsBefore = t.llm.calls()
        // --dry-run applies the rule resume applies: persisted with a retryable scrape failure is not finished.
        const dry = yield* t.run({ runId: 1, dryRun: true })
        expect(dry._tag === "DryRun" && dry.plan).toMatchObject({
          companies: 2,
          finished: 1,
          stages: [
            { stage: "scrape", todo: 1, cached: 0 },
            { stage: "enrich", todo: 1, cached: 0 }
          ]
        })
        expect(t.sites.log().length).toBe(requestsBefore)
        yield* t.run({ runId: 1 })
        const hosts = t.sites.log().slice(requestsBefore).map((r) => r.host)
        expect(new Set(hosts)).toEqual(new Set(["flaky-site.com"]))
        expect(t.llm.calls() - callsBefore).toBe(1)
        const [second] = yield* t.query<{ scraping_status: string; enrichment_status: string }>(
          "SELECT scraping_status, enrichment_status FROM companies WHERE domain = 'flaky-site.com'"
        )
        expect(second).toEqual({ scraping_status: "success", enrichment_status: "success" })

        // Stage by stage (as the reference design runs) ends with the same companies as one streamed run.
        const staged = t.csv("staged.csv", ["Company 7,co-00007.com,DE,50,Retail", "Company 8,co-00008.com,FR,5000,Software"])
        yield* t.run({ input: staged, only: ["scrape"] })
        const afterScrape = yield* t.query<{ n: number }>("SELECT count(*)::int AS n FROM companies WHERE domain IN ('co-00007.com', 'co-00008.com')")
        expect(afterScrape[0]!.n).toBe(0)
        yield* t.run({ input: staged, only: ["merge", "enrich", "persist"] })
        const rows = yield* t.query<{ domain: string; scraping_status: string; enrichment_status: string }>(
          "SELECT domain, scraping_status, enrichment_status FROM companies WHERE domain IN ('co-00007.com', 'co-00008.com') ORDER BY domain"
        )
        expect(rows).toEqual([
          { domain: "co-00007.com", scraping_status: "success", enrichment_status: "success" },
          { domain: "co-00008.com", scraping_status: "success", enrichment_status: "success" }
        ])
      }),
    120_000
  )
})
