import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Layer } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { PipelineLayer } from "../src/pipeline/PipelineLayer.js"
import { defaultPipelineOptions, type PipelineOptions } from "../src/pipeline/PipelineOptions.js"
import { Pipeline } from "../src/pipeline/Pipeline.js"
import { runPipeline } from "../src/pipeline/runPipeline.js"
import { exitCodeForCause } from "../src/process/ExitCode.js"
import { companySite } from "./support/companySites.js"
import { startFakeLlmServer } from "./support/fakeLlmServer.js"
import { startFixtureSites } from "./support/fixtureSites.js"
import { fixtureEnv } from "./support/pipelineHarness.js"
import { configFrom, freshDatabaseEnv, makeTempDir, testDatabaseKind } from "./support/TestDatabase.js"

const closedPort = Effect.async<number>((resume) => {
  const server = net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

const setup = Effect.gen(function* () {
  const sites = yield* startFixtureSites({ sites: (host) => companySite(host) })
  const llm = yield* startFakeLlmServer()
  const dir = makeTempDir("enrich-pipeline")
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  const db = yield* freshDatabaseEnv
  const baseEnv = { ...db, ...fixtureEnv({ sitesPort: sites.port, llmUrl: llm.url }), SCRAPER_MAX_RETRIES: "0", LLM_MAX_RETRIES: "0" }
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
  const file = path.join(dir, "list.csv")
  fs.writeFileSync(
    file,
    [
      "Org,Website,HQ Country,People,Industry",
      "Acme,https://www.acme-co.com/,USA,51-200,SaaS",
      "Sizeless,sizeless-co.com,Germany,,Fintech",
      "App,https://apps.apple.com/us/app/x/id1,US,10,Consumer"
    ].join("\n") + "\n"
  )
  return { llm, run, query, file }
})

describe(`pipeline with the clean and enrich features (${testDatabaseKind} database)`, () => {
  it.scoped("--columns and MISSING_EMPLOYEE_COUNT=keep reach the companies table: bounds, raw text, segment Unknown", () =>
    Effect.gen(function* () {
      const t = yield* setup
      yield* t.run({ input: t.file, columns: "company_name=Org,employee_count=People" }, { MISSING_EMPLOYEE_COUNT: "keep" })
      const companies = yield* t.query<{ domain: string; employee_count: number | null; employee_count_raw: string | null; employee_count_min: number | null; employee_count_max: number | null; segment: string; enrichment_status: string }>(
        "SELECT domain, employee_count, employee_count_raw, employee_count_min, employee_count_max, segment, enrichment_status FROM companies ORDER BY domain"
      )
      expect(companies).toEqual([
        { domain: "acme-co.com", employee_count: 101, employee_count_raw: "51-200", employee_count_min: 51, employee_count_max: 200, segment: "SMB", enrichment_status: "success" },
        { domain: "sizeless-co.com", employee_count: null, employee_count_raw: null, employee_count_min: null, employee_count_max: null, segment: "Unknown", enrichment_status: "success" }
      ])
      const rejects = yield* t.query<{ reason: string }>("SELECT reason FROM rejected_rows")
      expect(rejects).toEqual([{ reason: "PlatformUrl" }])
    }))

  it.scoped("a remote LLM that cannot be reached stops the run before anything is written, exit 2", () =>
    Effect.gen(function* () {
      const t = yield* setup
      const port = yield* closedPort
      const exit = yield* Effect.exit(t.run({ input: t.file, columns: "company_name=Org,employee_count=People" }, { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` }))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        expect(exitCodeForCause(exit.cause)).toBe(2)
        expect(String(exit.cause)).toContain(`GET http://127.0.0.1:${port}/v1/models`)
      }
      expect(yield* t.query("SELECT 1 FROM runs")).toHaveLength(0)
      expect(yield* t.query("SELECT 1 FROM companies")).toHaveLength(0)
      expect(t.llm.calls()).toBe(0)
    }))
})
