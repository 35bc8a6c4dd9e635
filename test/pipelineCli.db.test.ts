import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { RunQueries } from "../src/api/RunQueries.js"
import { RunStore } from "../src/pipeline/RunStore.js"
import { RejectedRowsStore } from "../src/stages/clean/RejectedRowsStore.js"
import * as fs from "node:fs"
import * as path from "node:path"
import { startFakeLlmServer } from "./support/fakeLlmServer.js"
import { startFixtureSites } from "./support/fixtureSites.js"
import {
  companiesSnapshot,
  fixtureEnv,
  runCli,
  startCli,
  waitUntil,
  withDatabase,
  withUnmigratedDatabase
} from "./support/pipelineHarness.js"
import { companySite, writeCompaniesCsv } from "./support/companySites.js"
import { configFrom, freshDatabaseEnv, makeTempDir, testDatabaseKind } from "./support/TestDatabase.js"
import { DatabaseLive } from "../src/db/Database.js"

const COMPANIES = 40

/** Fixture websites and the fake LLM for the whole file; every test gets its own database and CSV. */
const world = Effect.gen(function* () {
  const sites = yield* startFixtureSites({ sites: companySite, latencyMs: 5 })
  const llm = yield* startFakeLlmServer({ latencyMs: 25 })
  const dir = makeTempDir("cli")
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  const csv = writeCompaniesCsv(path.join(dir, "companies.csv"), COMPANIES)
  const env = (db: Record<string, string>, extra: Record<string, string> = {}) => ({
    ...fixtureEnv({ sitesPort: sites.port, llmUrl: llm.url }),
    SCRAPER_MAX_RETRIES: "0",
    CONCURRENT_LLM_CALLS: "4",
    SCRAPER_CONCURRENCY: "4",
    ...db,
    ...extra
  })
  /** Domains the LLM was asked about from request `from` on. */
  const llmDomainsSince = (from: number) =>
    llm.requests().slice(from).map((r) => r.company?.company.domain).filter((d): d is string => d !== undefined)
  const siteHostsSince = (from: number) => sites.log().slice(from).map((r) => r.host)
  return { sites, llm, dir, csv, env, llmDomainsSince, siteHostsSince }
})

const runRows = (db: Record<string, string>) =>
  withDatabase(db, (sql) => sql<{ id: number; status: string }>`SELECT id, status FROM runs ORDER BY id`)

const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe(`pipeline CLI as a child process (${testDatabaseKind} database)`, () => {
  it.scoped(
    "SIGKILL at several points, then --resume, ends exactly as an uninterrupted run and redoes no finished work",
    () =>
      Effect.gen(function* () {
        const w = yield* world
        const referenceDb = yield* freshDatabaseEnv
        const reference = yield* runCli(["--input", w.csv], w.env(referenceDb), w.dir)
        expect(reference.code, reference.stderr).toBe(0)
        const expected = yield* companiesSnapshot(referenceDb)
        expect(expected).toHaveLength(COMPANIES)
        expect(expected.every((c) => c.enrichment_status === "success" && c.scraping_status === "success")).toBe(true)

        // Without a TTY every log line is JSON, carries the run id, and holds no control characters.
        const logs = jsonLines(reference.stderr)
        expect(reference.stderr).not.toMatch(/\x1b/)
        expect(logs.some((l) => l.event === "run.start")).toBe(true)
        expect(logs.filter((l) => l.event === "stage.finish").map((l) => l.stage)).toEqual(
          expect.arrayContaining(["scrape", "enrich", "persist"])
        )
        expect(logs.filter((l) => typeof l.event === "string").every((l) => l.run_id !== undefined)).toBe(true)

        const killPoints: ReadonlyArray<{ name: string; reached: (start: { llm: number; sites: number }, stderr: string) => boolean }> = [
          { name: "just after the run started", reached: (_, stderr) => stderr.includes('"run.start"') },
          { name: "while scraping the first sites", reached: (s) => w.sites.requests() - s.sites >= 3 },
          { name: "a quarter into enrichment", reached: (s) => w.llm.calls() - s.llm >= COMPANIES / 4 },
          { name: "near the end", reached: (s) => w.llm.calls() - s.llm >= COMPANIES - 3 }
        ]
        for (const point of killPoints) {
          const db = yield* freshDatabaseEnv
          const start = { llm: w.llm.calls(), sites: w.sites.log().length }
          const cli = startCli(["--input", w.csv], w.env(db), w.dir)
          yield* Effect.promise(() => waitUntil(() => point.reached(start, cli.output().stderr)))
          cli.child.kill("SIGKILL")
          const killed = yield* Effect.promise(() => cli.done)
          expect(killed.signal, point.name).toBe("SIGKILL")

          const before = yield* withDatabase(db, (sql) =>
            Effect.all({
              persisted: sql<{ domain: string }>`
                SELECT domain FROM run_items WHERE stage = 'persist' AND status = 'succeeded'`,
              scraped: sql<{ domain: string }>`SELECT domain FROM scrapes`
            })
          )
          const resumeFrom = { llm: w.llm.requests().length, sites: w.sites.log().length }
          const resumed = yield* runCli(["--resume"], w.env(db), w.dir)
          expect(resumed.code, `${point.name}: ${resumed.stderr}`).toBe(0)

          expect(yield* companiesSnapshot(db), point.name).toEqual(expected)
          expect(yield* runRows(db), point.name).toEqual([{ id: 1, status: "succeeded" }])
          const stuck = yield* withDatabase(db, (sql) => sql`SELECT 1 FROM run_items WHERE status NOT IN ('succeeded', 'failed', 'skipped')`)
          expect(stuck, point.name).toHaveLength(0)

          const persisted = new Set(before.persisted.map((r) => r.domain))
          const scraped = new Set(before.scraped.map((r) => r.domain))
          expect(w.llmDomainsSince(resumeFrom.llm).filter((d) => persisted.has(d)), point.name).toEqual([])
          expect(w.siteHostsSince(resumeFrom.sites).filter((h) => scraped.has(h.replace(/^www\./, ""))), point.name).toEqual([])
          // Every company still missing was sent to the LLM at most once on resume.
          const resent = w.llmDomainsSince(resumeFrom.llm)
          expect(new Set(resent).size, point.name).toBe(resent.length)
        }
      }),
    600_000
  )

  it.scoped(
    "SIGINT lets in-flight companies finish, marks the run interrupted and exits 130; SIGTERM exits 143",
    () =>
      Effect.gen(function* () {
        const w = yield* world
        for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
          const db = yield* freshDatabaseEnv
          const start = w.llm.calls()
          const cli = startCli(["--input", w.csv], w.env(db), w.dir)
          yield* Effect.promise(() => waitUntil(() => w.llm.calls() - start >= 8))
          cli.child.kill(signal)
          const result = yield* Effect.promise(() => cli.done)
          expect(result.code, result.stderr).toBe(code)
          const sent = w.llm.calls() - start
          expect(yield* runRows(db)).toEqual([{ id: 1, status: "interrupted" }])
          const enriched = yield* withDatabase(db, (sql) =>
            sql<{ n: number }>`SELECT count(*)::int AS n FROM companies WHERE enrichment_status = 'success'`
          )
          // Every LLM call that had started was allowed to finish and was persisted; nothing new was started.
          expect(enriched[0]!.n).toBe(sent)
          expect(sent).toBeLessThan(COMPANIES)

          const resumed = yield* runCli(["--resume"], w.env(db), w.dir)
          expect(resumed.code, resumed.stderr).toBe(0)
          expect(w.llm.calls() - start).toBe(COMPANIES)
        }
      }),
    300_000
  )

  it.scoped(
    "a run whose process died without a word is shown interrupted by runs, status and the API, and resumes",
    () =>
      Effect.gen(function* () {
        const w = yield* world
        const db = yield* freshDatabaseEnv
        const slowLlm = yield* startFakeLlmServer({ latencyMs: 1_000 })
        const cli = startCli(["--input", w.csv], w.env(db, { CONCURRENT_LLM_CALLS: "1", OPENAI_BASE_URL: slowLlm.url }), w.dir)
        yield* Effect.promise(() => waitUntil(() => slowLlm.calls() >= 2))
        const live = yield* runCli(["runs"], w.env(db), w.dir)
        expect(live.stdout).toMatch(/\b1\b.*running/)
        cli.child.kill("SIGKILL")
        yield* Effect.promise(() => cli.done)

        expect(yield* runRows(db)).toEqual([{ id: 1, status: "running" }])
        const runs = yield* runCli(["runs"], w.env(db), w.dir)
        expect(runs.stdout).toMatch(/\b1\b.*interrupted/)
        const status = yield* runCli(["status"], w.env(db), w.dir)
        expect(status.stdout).toContain("interrupted")
        expect(status.stdout).not.toContain("running")
        const api = yield* Effect.gen(function* () {
          const queries = yield* RunQueries
          return { list: yield* queries.list(10, undefined), detail: yield* queries.detail(1) }
        }).pipe(
          Effect.provide(RunQueries.Default.pipe(
            Layer.provide(Layer.merge(RunStore.Default, RejectedRowsStore.Default)),
            Layer.provideMerge(DatabaseLive.pipe(Layer.provide(configFrom(db))))
          )),
          Effect.scoped
        )
        expect(api.list.runs.map((r) => r.status)).toEqual(["interrupted"])
        expect(Option.map(api.detail, (d) => d.status)).toEqual(Option.some("interrupted"))
        expect(Option.getOrThrow(api.detail).stages.some((stage) => stage.status === "running")).toBe(false)

        const resumed = yield* runCli(["--resume"], w.env(db), w.dir)
        expect(resumed.code, resumed.stderr).toBe(0)
        expect(yield* runRows(db)).toEqual([{ id: 1, status: "succeeded" }])
      }),
    300_000
  )

  it.scoped(
    "--limit N: stages, summary and rejected rows stop at the N-th accepted company, wherever the parser's chunks end",
    () =>
      Effect.gen(function* () {
        const w = yield* world
        const db = yield* freshDatabaseEnv
        const csv = path.join(w.dir, "limited.csv")
        const good = fs.readFileSync(w.csv, "utf8").trim().split("\n")
        // Line 2 is rejected before the limit; the lines after the 5th accepted company hold a rejection and a duplicate.
        const lines = [good[0]!, "Broken,not a domain,US,10,Software", ...good.slice(1, 6), "Late,also not a domain,US,10,Software", good[1]!, ...good.slice(6)]
        fs.writeFileSync(csv, lines.join("\n") + "\n")
        const summaryFile = path.join(w.dir, "limited.json")
        const result = yield* runCli(["--input", csv, "--limit", "5", "--summary", summaryFile], w.env(db), w.dir)
        expect(result.code, result.stderr).toBe(0)
        const summary = JSON.parse(fs.readFileSync(summaryFile, "utf8")) as {
          input: { lines_read: number; accepted: number; rejected: number; duplicates: number }
          stages: Record<string, { total: number; done: number; rejected: number; duplicates: number }>
        }
        expect(summary.input).toMatchObject({ lines_read: 6, accepted: 5, rejected: 1, duplicates: 0 })
        expect(summary.stages["load"]).toMatchObject({ total: 6, done: 6 })
        expect(summary.stages["clean"]).toMatchObject({ total: 6, done: 5, rejected: 1, duplicates: 0 })
        expect(summary.stages["persist"]).toMatchObject({ total: 5, done: 5 })
        const rejected = yield* withDatabase(db, (sql) => sql<{ line: number }>`SELECT line_number AS line FROM rejected_rows ORDER BY line_number`)
        expect(rejected).toEqual([{ line: 2 }])
      }),
    300_000
  )

  it.scoped(
    "one run at a time per database: a second invocation exits 3, or waits with --wait",
    () =>
      Effect.gen(function* () {
        const w = yield* world
        const db = yield* freshDatabaseEnv
        const slowLlm = yield* startFakeLlmServer({ latencyMs: 300 })
        const slow = { CONCURRENT_LLM_CALLS: "1", OPENAI_BASE_URL: slowLlm.url }
        const first = startCli(["--input", w.csv], w.env(db, slow), w.dir)
        yield* Effect.promise(() => waitUntil(() => first.output().stderr.includes('"run.start"')))
        const second = yield* runCli(["--input", w.csv], w.env(db), w.dir)
        expect(second.code, second.stderr).toBe(3)
        expect(second.stderr).toMatch(/another pipeline run holds the lock|in use by process/)

        const waiting = startCli(["--input", w.csv, "--wait"], w.env(db), w.dir)
        const firstResult = yield* Effect.promise(() => first.done)
        expect(firstResult.code, firstResult.stderr).toBe(0)
        const waited = yield* Effect.promise(() => waiting.done)
        expect(waited.code, waited.stderr).toBe(0)
        expect(yield* runRows(db)).toEqual([
          { id: 1, status: "succeeded" },
          { id: 2, status: "succeeded" }
        ])
      }),
    300_000
  )

  it.scoped(
    "bad input, bad configuration and a changed input on resume exit 2 with a message naming the problem",
    () =>
      Effect.gen(function* () {
        const w = yield* world
        const db = yield* freshDatabaseEnv
        const badCsv = path.join(w.dir, "bad.csv")
        fs.writeFileSync(badCsv, "name,website\nAcme,acme.com\n")
        const missing = yield* runCli(["--input", badCsv], w.env(db), w.dir)
        expect(missing.code).toBe(2)
        expect(missing.stderr).toMatch(/lacks required columns country, employee_count, industry_raw.*columns found: \\"name\\"/)

        const badFlag = yield* runCli(["--input", w.csv, "--retry-faild"], w.env(db), w.dir)
        expect(badFlag.code).toBe(2)
        expect(badFlag.stderr).toMatch(/unknown option --retry-faild/)
        expect(badFlag.stderr).not.toMatch(/_tag/)
        const badValue = yield* runCli(["--limit", "many"], w.env(db), w.dir)
        expect(badValue.code).toBe(2)
        expect(badValue.stderr).not.toMatch(/_tag/)

        const badConfig = yield* runCli(["--input", w.csv], w.env(db, { CONCURRENT_LLM_CALLS: "many" }), w.dir)
        expect(badConfig.code).toBe(2)
        expect(badConfig.stderr).toContain("CONCURRENT_LLM_CALLS")

        // What a scheduler runs every night: with nothing to resume it starts a new run, saying so.
        const noRun = yield* runCli(["--resume", "--input", badCsv], w.env(db), w.dir)
        expect(noRun.code).toBe(2)
        expect(noRun.stderr).toMatch(/no unfinished run to resume: starting a new run/)

        const changing = path.join(w.dir, "changing.csv")
        fs.copyFileSync(w.csv, changing)
        const start = w.llm.calls()
        const cli = startCli(["--input", changing], w.env(db), w.dir)
        yield* Effect.promise(() => waitUntil(() => w.llm.calls() - start >= 5))
        cli.child.kill("SIGKILL")
        yield* Effect.promise(() => cli.done)
        fs.appendFileSync(changing, "Late Co,late.example,US,10,Retail\n")
        const changed = yield* runCli(["--resume"], w.env(db), w.dir)
        expect(changed.code).toBe(2)
        expect(changed.stderr).toMatch(/has changed since run 1/)
      }),
    300_000
  )

  it.scoped(
    "--plan, --dry-run, runs and status describe the work without doing it",
    () =>
      Effect.gen(function* () {
        const w = yield* world
        const db = yield* freshDatabaseEnv
        const plan = yield* runCli(["--plan"], w.env(db), w.dir)
        expect(plan.code).toBe(0)
        expect(plan.stdout).toContain("load → clean → scrape → merge → enrich → persist")
        expect(plan.stdout).toMatch(/scrape[\s\S]*concurrency: 4 global, 1 per host/)

        const llmBefore = w.llm.calls()
        const sitesBefore = w.sites.requests()
        const dry = yield* runCli(["--input", w.csv, "--dry-run"], w.env(db), w.dir)
        expect(dry.code, dry.stderr).toBe(0)
        expect(dry.stdout).toMatch(/scrape \(fetch websites\)\s+40/)
        expect(dry.stdout).toMatch(/enrich \(LLM calls\)\s+40/)
        expect(w.llm.calls()).toBe(llmBefore)
        expect(w.sites.requests()).toBe(sitesBefore)
        // Not even the schema: the dry run migrated a fresh database only inside a rolled-back transaction.
        const tables = yield* withUnmigratedDatabase(db, (sql) => sql<{ absent: boolean }>`SELECT to_regclass('public.runs') IS NULL AS absent`)
        expect(tables).toEqual([{ absent: true }])

        const run = yield* runCli(["--input", w.csv], w.env(db), w.dir)
        expect(run.code, run.stderr).toBe(0)
        const again = yield* runCli(["--input", w.csv, "--dry-run"], w.env(db), w.dir)
        expect(again.stdout).toMatch(/scrape \(fetch websites\)\s+0/)
        expect(again.stdout).toMatch(/enrich \(LLM calls\)\s+0/)

        const runs = yield* runCli(["runs"], w.env(db), w.dir)
        expect(runs.code).toBe(0)
        expect(runs.stdout).toMatch(/\b1\b.*succeeded/)
        const status = yield* runCli(["status", "1"], w.env(db), w.dir)
        expect(status.code).toBe(0)
        expect(status.stdout).toMatch(/enrich.*40/)
      }),
    300_000
  )
})
