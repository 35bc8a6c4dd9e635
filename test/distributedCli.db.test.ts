import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { companyDomain, writeCompaniesCsv } from "./support/companySites.js"
import { type FakeLlmRequest, startFakeLlmServer } from "./support/fakeLlmServer.js"
import { startFixtureSitesInWorker } from "./support/fixtureSites.js"
import { fixtureEnv, freePort, runCli, startCli, startWorker, waitUntil, withDatabase } from "./support/pipelineHarness.js"
import { freshDatabaseEnv, makeTempDir, testDatabaseKind } from "./support/TestDatabase.js"

const LLM_CONCURRENCY_PER_RUNNER = 3

/** Fixture websites (in a worker thread: three runners fetch from them) and the fake LLM, for the whole file. */
const world = (options: { latencyMs: number; refuse?: () => ReadonlySet<string> }) =>
  Effect.gen(function* () {
    const sites = yield* startFixtureSitesInWorker({
      sitesModule: new URL("./support/companySites.ts", import.meta.url).href,
      sitesExport: "companySite",
      latencyMs: 5
    })
    const llm = yield* startFakeLlmServer({
      latencyMs: options.latencyMs,
      script: (request) =>
        options.refuse?.().has(request.company?.company.domain ?? "") ? { type: "refusal", message: "not today" } : undefined
    })
    const dir = makeTempDir("distributed")
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    const env = (db: Record<string, string>, extra: Record<string, string> = {}) => ({
      ...fixtureEnv({ sitesPort: sites.port, llmUrl: llm.url }),
      SCRAPER_MAX_RETRIES: "0",
      CONCURRENT_LLM_CALLS: String(LLM_CONCURRENCY_PER_RUNNER),
      SCRAPER_CONCURRENCY: "8",
      CLUSTER_HOST: "127.0.0.1",
      CLUSTER_FAILOVER_SECONDS: "6",
      ...db,
      ...extra
    })
    return { sites, llm, dir, env }
  })

/** `count` runners on free ports, each up (listening) before this returns; killed when the scope closes. */
const startRunners = (count: number, env: Record<string, string>, cwd: string) =>
  Effect.gen(function* () {
    const runners = []
    for (let i = 0; i < count; i++) {
      const port = yield* Effect.promise(freePort)
      const runner = startWorker({ ...env, CLUSTER_PORT: String(port) }, cwd)
      yield* Effect.addFinalizer(() => Effect.sync(() => runner.child.kill("SIGKILL")))
      runners.push(runner)
    }
    for (const runner of runners) {
      const output = () => `${runner.output().stdout}${runner.output().stderr}`
      yield* Effect.tryPromise(() => waitUntil(() => output().includes("Listening on"), 60_000)).pipe(
        Effect.orElse(() => Effect.dieMessage(`a runner did not start:\n${output().slice(-3000)}`))
      )
    }
    // Runners join one by one, and until each holds its share a newcomer takes shards over from the others: the
    // companies in flight on them start again elsewhere, a repeated LLM call a test would blame on what it does next.
    const shards = Number(env.CLUSTER_SHARDS ?? 300)
    yield* withDatabase(env, (sql) =>
      Effect.gen(function* () {
        const deadline = Date.now() + 60_000
        for (;;) {
          const [locks] = yield* sql<{ holders: number; held: number }>`
            SELECT count(DISTINCT pid)::int AS holders, count(*)::int AS held FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
          if (locks!.holders >= count && locks!.held >= shards) return
          if (Date.now() > deadline) return yield* Effect.dieMessage(`the runners hold ${locks!.held} of ${shards} shards after 60 s`)
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 100)))
        }
      })
    )
    return runners
  })

const keyOf = (request: FakeLlmRequest) => String(request.headers["idempotency-key"] ?? "")

/** LLM requests sent more than once under the same idempotency key, by domain. */
const duplicatedCalls = (requests: ReadonlyArray<FakeLlmRequest>) => {
  const seen = new Map<string, number>()
  const duplicated: Array<string> = []
  for (const request of requests) {
    const key = keyOf(request)
    const n = (seen.get(key) ?? 0) + 1
    seen.set(key, n)
    if (n > 1) duplicated.push(request.company?.company.domain ?? "?")
  }
  return duplicated
}

const runState = (db: Record<string, string>) =>
  withDatabase(db, (sql) =>
    Effect.all({
      runs: sql<{ id: number; status: string }>`SELECT id, status FROM runs ORDER BY id`,
      companies: sql<{ n: number; distinct: number; enriched: number }>`
        SELECT count(*)::int AS n, count(DISTINCT domain)::int AS distinct,
          count(*) FILTER (WHERE enrichment_status = 'success')::int AS enriched FROM companies`.pipe(Effect.map((r) => r[0]!)),
      persisted: sql<{ n: number }>`
        SELECT count(*)::int AS n FROM run_items WHERE stage = 'persist' AND status = 'succeeded'`.pipe(Effect.map((r) => r[0]!.n)),
      notTerminal: sql<{ n: number }>`
        SELECT count(*)::int AS n FROM run_items WHERE status NOT IN ('succeeded', 'failed', 'skipped')`.pipe(Effect.map((r) => r[0]!.n))
    })
  )

describe(`pipeline --distributed (${testDatabaseKind} database)`, () => {
  it.scoped.skipIf(testDatabaseKind === "server")("refuses the embedded database with a clear error and exit code 2", () =>
    Effect.gen(function* () {
      const w = yield* world({ latencyMs: 0 })
      const db = yield* freshDatabaseEnv
      const csv = writeCompaniesCsv(path.join(w.dir, "companies.csv"), 3)
      const result = yield* runCli(["--distributed", "--input", csv], w.env(db), w.dir)
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("--distributed needs DATABASE_URL")
      const worker = startWorker(w.env(db), w.dir)
      const exited = yield* Effect.promise(() => worker.done)
      expect(exited.code).toBe(2)
      expect(exited.stderr).toContain("pnpm worker needs DATABASE_URL")
    })
  )

  it.scoped.skipIf(testDatabaseKind === "embedded")("a runner whose port is taken says which and exits 1", () =>
    Effect.gen(function* () {
      const w = yield* world({ latencyMs: 0 })
      const env = { ...w.env(yield* freshDatabaseEnv), CLUSTER_PORT: String(yield* Effect.promise(freePort)) }
      const first = startWorker(env, w.dir)
      yield* Effect.addFinalizer(() => Effect.sync(() => first.child.kill("SIGKILL")))
      yield* Effect.promise(() => waitUntil(() => first.output().stderr.includes("Listening on"), 60_000))
      const second = yield* Effect.promise(() => startWorker(env, w.dir).done)
      expect(second.code).toBe(1)
      expect(second.stderr).toContain(`the runner cannot listen on 127.0.0.1:${env.CLUSTER_PORT}`)
      expect(second.stderr).toContain("EADDRINUSE")
    })
  )

  it.scoped.skipIf(testDatabaseKind === "embedded")(
    "three runners, one SIGKILLed mid-run: every company ends terminal exactly once, no LLM call repeated for a persisted one",
    () =>
      Effect.gen(function* () {
        const COMPANIES = 300
        const w = yield* world({ latencyMs: 300 })
        const db = yield* freshDatabaseEnv
        const csv = writeCompaniesCsv(path.join(w.dir, "companies.csv"), COMPANIES)
        const env = w.env(db)
        const runners = yield* startRunners(3, env, w.dir)
        const submitter = startCli(["--distributed", "--input", csv], env, w.dir)

        yield* Effect.promise(() => waitUntil(() => w.llm.calls() >= COMPANIES / 3, 120_000))
        const killedAt = Date.now()
        runners[1]!.child.kill("SIGKILL")
        const persistedAtKill = yield* withDatabase(db, (sql) =>
          sql<{ domain: string }>`SELECT domain FROM run_items WHERE stage = 'persist' AND status = 'succeeded'`
        ).pipe(Effect.map((rows) => new Set(rows.map((r) => r.domain))))
        const callsAtKill = w.llm.calls()

        const result = yield* Effect.promise(() => submitter.done)
        const finishedAt = Date.now()
        expect(result.code, result.stderr).toBe(0)

        const state = yield* runState(db)
        expect(state.runs).toEqual([{ id: 1, status: "succeeded" }])
        expect(state.companies).toEqual({ n: COMPANIES, distinct: COMPANIES, enriched: COMPANIES })
        expect(state.persisted).toBe(COMPANIES)
        expect(state.notTerminal).toBe(0)

        const requests = w.llm.requests()
        expect(requests.every((r) => keyOf(r) !== "")).toBe(true)
        const duplicated = duplicatedCalls(requests)
        const finishedAfterKill = (finishedAt - killedAt) / 1000
        console.log(
          `distributed kill test: ${requests.length} LLM calls for ${COMPANIES} companies, ${duplicated.length} duplicated ` +
            `(at-least-once, in flight on the killed runner: ${duplicated.join(", ") || "none"}); ` +
            `${persistedAtKill.size} companies were persisted when it was killed after ${callsAtKill} calls; ` +
            `the run finished ${finishedAfterKill.toFixed(1)} s after the kill (CLUSTER_FAILOVER_SECONDS=6)`
        )
        expect(duplicated.filter((d) => persistedAtKill.has(d))).toEqual([])
        // Only calls in flight on the killed runner can repeat: at most its LLM concurrency.
        expect(duplicated.length).toBeLessThanOrEqual(LLM_CONCURRENCY_PER_RUNNER)
        expect(persistedAtKill.size).toBeLessThan(COMPANIES)
      }),
    300_000
  )

  it.scoped.skipIf(testDatabaseKind === "embedded")(
    "a runner stopped with SIGTERM hands its shards over at once, without waiting for the failover time",
    () =>
      Effect.gen(function* () {
        const COMPANIES = 120
        const w = yield* world({ latencyMs: 200 })
        const db = yield* freshDatabaseEnv
        const csv = writeCompaniesCsv(path.join(w.dir, "companies.csv"), COMPANIES)
        // A failover time longer than the whole run: only a clean hand-over can finish it in time.
        const env = w.env(db, { CLUSTER_FAILOVER_SECONDS: "120" })
        const runners = yield* startRunners(2, env, w.dir)
        const started = Date.now()
        const submitter = startCli(["--distributed", "--input", csv], env, w.dir)
        yield* Effect.promise(() => waitUntil(() => w.llm.calls() >= COMPANIES / 4, 120_000))
        runners[0]!.child.kill("SIGTERM")
        const stopped = yield* Effect.promise(() => runners[0]!.done)
        expect(stopped.code, stopped.stderr.slice(-2000)).toBe(0)

        const result = yield* Effect.promise(() => submitter.done)
        expect(result.code, result.stderr).toBe(0)
        expect((Date.now() - started) / 1000).toBeLessThan(120)
        const state = yield* runState(db)
        expect(state.companies).toEqual({ n: COMPANIES, distinct: COMPANIES, enriched: COMPANIES })
        expect(state.runs).toEqual([{ id: 1, status: "succeeded" }])
        expect(duplicatedCalls(w.llm.requests())).toEqual([])
      }),
    300_000
  )

  it.scoped.skipIf(testDatabaseKind === "embedded")(
    "CLUSTER_LLM_CONCURRENCY bounds the LLM calls of all runners together",
    () =>
      Effect.gen(function* () {
        const COMPANIES = 60
        const w = yield* world({ latencyMs: 100 })
        const db = yield* freshDatabaseEnv
        const csv = writeCompaniesCsv(path.join(w.dir, "companies.csv"), COMPANIES)
        // Each runner alone would allow 4 calls, 8 together.
        const env = w.env(db, { CONCURRENT_LLM_CALLS: "4", CLUSTER_LLM_CONCURRENCY: "2" })
        yield* startRunners(2, env, w.dir)
        const result = yield* runCli(["--distributed", "--input", csv], env, w.dir)
        expect(result.code, result.stderr).toBe(0)
        const state = yield* runState(db)
        expect(state.companies).toEqual({ n: COMPANIES, distinct: COMPANIES, enriched: COMPANIES })
        expect(w.llm.maxInFlight()).toBe(2)
        expect(duplicatedCalls(w.llm.requests())).toEqual([])
      }),
    300_000
  )

  it.scoped.skipIf(testDatabaseKind === "embedded")(
    "an interrupted or killed submitter resumes without repeating work, and --retry-failed redoes only the failed companies",
    () =>
      Effect.gen(function* () {
        const COMPANIES = 60
        const refused = new Set([companyDomain(7), companyDomain(21), companyDomain(44)])
        let refusing = true
        const w = yield* world({ latencyMs: 100, refuse: () => (refusing ? refused : new Set()) })
        const db = yield* freshDatabaseEnv
        const csv = writeCompaniesCsv(path.join(w.dir, "companies.csv"), COMPANIES)
        const env = w.env(db)
        yield* startRunners(2, env, w.dir)

        // Ctrl-C: the submitter stops and marks the run interrupted; the runners go on with what it submitted.
        const first = startCli(["--distributed", "--input", csv], env, w.dir)
        yield* Effect.promise(() => waitUntil(() => w.llm.calls() >= 5, 120_000))
        first.child.kill("SIGINT")
        expect((yield* Effect.promise(() => first.done)).code).toBe(130)
        expect((yield* runState(db)).runs).toEqual([{ id: 1, status: "interrupted" }])

        const second = startCli(["--distributed", "--resume"], env, w.dir)
        yield* Effect.promise(() => waitUntil(() => w.llm.calls() >= 20, 120_000))
        second.child.kill("SIGKILL")
        expect((yield* Effect.promise(() => second.done)).signal).toBe("SIGKILL")

        const resumed = yield* runCli(["--distributed", "--resume"], env, w.dir)
        expect(resumed.code, resumed.stderr).toBe(0)
        let state = yield* runState(db)
        expect(state.runs).toEqual([{ id: 1, status: "succeeded" }])
        expect(state.companies).toEqual({ n: COMPANIES, distinct: COMPANIES, enriched: COMPANIES - refused.size })
        expect(duplicatedCalls(w.llm.requests())).toEqual([])
        const failed = yield* withDatabase(db, (sql) =>
          sql<{ domain: string; errorKind: string }>`
            SELECT domain, error_kind AS "errorKind" FROM run_items WHERE stage = 'enrich' AND status = 'failed' ORDER BY domain`
        )
        expect(failed).toEqual([...refused].sort().map((domain) => ({ domain, errorKind: "Refused" })))

        refusing = false
        const callsBefore = w.llm.requests().length
        const retried = yield* runCli(["--distributed", "--run-id", "1", "--retry-failed"], env, w.dir)
        expect(retried.code, retried.stderr).toBe(0)
        const resent = w.llm.requests().slice(callsBefore).map((r) => r.company?.company.domain)
        expect(resent.sort()).toEqual([...refused].sort())
        state = yield* runState(db)
        expect(state.companies).toEqual({ n: COMPANIES, distinct: COMPANIES, enriched: COMPANIES })
        expect(state.runs).toEqual([{ id: 1, status: "succeeded" }])
      }),
    300_000
  )
})
