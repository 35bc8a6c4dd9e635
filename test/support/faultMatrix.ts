import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { companySite } from "./companySites.js"
import { fakeValidAnswer, type FakeBehaviour, type FakeLlmRequest, startFakeLlmServer } from "./fakeLlmServer.js"
import { type FixtureHandler, type FixtureSite, startFixtureSites } from "./fixtureSites.js"
import { runCli, withDatabase } from "./pipelineHarness.js"
import { freshDatabaseEnv, makeTempDir } from "./TestDatabase.js"

/**
 * Helpers for the fault-matrix suites (test/faults*.db.test.ts): hostile routes for the fixture sites, scripted
 * LLM answers, and what a finished run left in the database, read back per company.
 */

export const CSV_HEADER = "company_name,domain,country,employee_count,industry_raw"

/** A site with a homepage only; robots.txt answers 404 (allow everything) unless `routes` says otherwise. */
export const siteWith = (routes: FixtureSite["routes"]): FixtureSite => ({ routes })

/** A body that never ends: chunks as fast as the client reads them, until it hangs up. */
export const endlessBody: FixtureHandler = (_request, response) => {
  response.writeHead(200, { "content-type": "text/html; charset=utf-8" })
  response.write("<!doctype html><html><body><main><p>")
  const chunk = Buffer.alloc(64 * 1024, "endless ")
  const pump = () => {
    while (!response.destroyed && response.write(chunk)) {
      // keep writing until the socket buffer is full
    }
    if (!response.destroyed) response.once("drain", pump)
  }
  pump()
}

/** Status and headers at once, then one short element every `everyMs`, forever (slowloris). */
export const trickle =
  (everyMs: number): FixtureHandler =>
  (_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" })
    response.flushHeaders()
    response.write("<!doctype html><html><body><main>")
    const timer = setInterval(() => {
      if (!response.destroyed) response.write("<p>.</p>")
    }, everyMs)
    response.once("close", () => clearInterval(timer))
  }

/** A 200 whose header block is `bytes` long (one filler header), with a normal page after it. */
export const hugeHeader =
  (bytes: number, body: string): FixtureHandler =>
  (_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", "x-filler": "a".repeat(bytes) })
    response.end(body)
  }

export const redirectTo = (location: string) => ({ status: 302, headers: { location }, body: "" })

/** What the model answers for one company, as the fake server's per-request script wants it. */
export type LlmFaults = Readonly<Record<string, (request: FakeLlmRequest) => FakeBehaviour>>

/** The fake server's script: the behaviour scripted for the prompt's domain, a valid answer otherwise. */
export const scriptByDomain = (faults: LlmFaults) => (request: FakeLlmRequest) => {
  const domain = request.company?.company.domain
  const fault = domain === undefined ? undefined : faults[domain]
  return fault === undefined ? undefined : fault(request)
}

/** The answer a compliant model gives for this prompt, as an object to alter. */
export const validObject = (request: FakeLlmRequest): Record<string, unknown> =>
  JSON.parse(fakeValidAnswer(request.company)) as Record<string, unknown>

export interface CompanyRow {
  readonly domain: string
  readonly company_name: string
  readonly employee_count: number | null
  readonly industry_raw: string | null
  readonly scraping_status: string
  readonly scraping_error: string | null
  readonly website_text_snippet: string | null
  readonly enrichment_status: string
  readonly enrichment_error: string | null
  readonly enrichment_error_kind: string | null
  readonly segment: string | null
  readonly personalized_pitch: string | null
  readonly primary_use_case: string | null
  readonly risk_flags: ReadonlyArray<string>
}

export interface RunItemRow {
  readonly domain: string
  readonly stage: string
  readonly status: string
  readonly error_kind: string | null
  readonly error_message: string | null
  readonly retryable: boolean
}

export interface RejectedRow {
  readonly line_number: number
  readonly reason: string
  readonly message: string
  readonly raw: unknown
  readonly duplicate_of_line: number | null
}

export interface RunOutcome {
  readonly code: number | null
  readonly stderr: string
  /** The `--summary FILE` document. */
  readonly summary: any
  readonly runs: ReadonlyArray<{ id: number; status: string }>
  readonly companies: ReadonlyMap<string, CompanyRow>
  /** run_items of the run, by `stage domain`. */
  readonly items: ReadonlyMap<string, RunItemRow>
  readonly rejected: ReadonlyArray<RejectedRow>
  readonly scrapes: ReadonlyMap<string, { status: string; error_kind: string | null; text: string | null }>
}

const parseJsonb = <A>(value: unknown): A => (typeof value === "string" ? (JSON.parse(value) as A) : (value as A))

/** Everything a run left in the database `db` points at. */
export const readOutcome = (db: Record<string, string>, runId: number) =>
  withDatabase(db, (sql) =>
    Effect.all({
      runs: sql<{ id: number; status: string }>`SELECT id::int AS id, status FROM runs ORDER BY id`,
      companies: sql<CompanyRow>`
        SELECT domain, company_name, employee_count, industry_raw, scraping_status, scraping_error, website_text_snippet,
          enrichment_status, enrichment_error, enrichment_error_kind, segment, personalized_pitch, primary_use_case, risk_flags
        FROM companies ORDER BY domain`,
      items: sql<RunItemRow>`
        SELECT domain, stage, status, error_kind, error_message, retryable FROM run_items WHERE run_id = ${runId}`,
      rejected: sql<RejectedRow>`
        SELECT line_number, reason, message, raw, duplicate_of_line FROM rejected_rows WHERE run_id = ${runId} ORDER BY line_number`,
      scrapes: sql<{ domain: string; status: string; error_kind: string | null; text: string | null }>`
        SELECT domain, status, error_kind, text FROM scrapes`
    })
  ).pipe(
    Effect.map((r) => ({
      runs: r.runs,
      companies: new Map(r.companies.map((c) => [c.domain, { ...c, risk_flags: parseJsonb<ReadonlyArray<string>>(c.risk_flags) }])),
      items: new Map(r.items.map((i) => [`${i.stage} ${i.domain}`, i])),
      rejected: r.rejected.map((row) => ({ ...row, raw: parseJsonb<unknown>(row.raw) })),
      scrapes: new Map(r.scrapes.map((s) => [s.domain, s]))
    }))
  )

/** The real CLI on `csv` with `--summary`, then what it left behind (its run is the latest). */
export const runAndRead = (args: ReadonlyArray<string>, env: Record<string, string>, dir: string, db: Record<string, string>) =>
  Effect.gen(function* () {
    const summaryFile = path.join(dir, `summary-${Date.now()}-${Math.random().toString(36).slice(2)}.json`)
    const result = yield* runCli([...args, "--summary", summaryFile], env, dir)
    const summary = fs.existsSync(summaryFile) ? JSON.parse(fs.readFileSync(summaryFile, "utf8")) : undefined
    const runId = typeof summary?.run_id === "number" ? (summary.run_id as number) : 1
    const outcome = yield* readOutcome(db, runId)
    return { code: result.code, stderr: result.stderr, summary, ...outcome } satisfies RunOutcome
  })

/** Data lines of a CSV file (the header and a trailing empty line excluded). */
export const dataLines = (file: string) =>
  fs.readFileSync(file, "utf8").split("\n").slice(1).filter((line) => line !== "").length

/**
 * What a fault-matrix run needs: the hostile sites (every other host a normal company site), the fake LLM scripted
 * per domain, the CSV written to a temporary directory (removed with the scope) and a fresh database.
 */
export const startFaultWorld = (options: {
  readonly name: string
  readonly hostile: Readonly<Record<string, FixtureSite>>
  readonly llmFaults: LlmFaults
  readonly csvLines: ReadonlyArray<string>
}) =>
  Effect.gen(function* () {
    const sites = yield* startFixtureSites({ sites: (host) => options.hostile[host] ?? companySite(host) })
    const llm = yield* startFakeLlmServer({ script: scriptByDomain(options.llmFaults) })
    const dir = makeTempDir(options.name)
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    const csv = path.join(dir, "companies.csv")
    fs.writeFileSync(csv, [CSV_HEADER, ...options.csvLines].join("\n") + "\n")
    const db = yield* freshDatabaseEnv
    return { sites, llm, dir, csv, db }
  })
