/**
 * pnpm bench distributed [--companies 1000] [--llm-latency 100] [--llm-concurrency 1] [--runners 1,2,4] [--site-latency 20]
 *
 * Scale-out of `pnpm pipeline --distributed` on this machine: the same companies on 1, 2 and 4 runner
 * processes (`pnpm worker`), each allowed the same number of LLM calls at a time, against fixture websites
 * and the fake LLM server (both in worker threads of this process) and the real Postgres (DATABASE_URL,
 * default postgres://postgres@127.0.0.1:5432/test; a throwaway database per runner count). Prints each run's
 * throughput (the run's own time, from the submitter's run.finish) and the scaling ratio against one runner
 * (targets: ≥ 1.7× at 2 runners, ≥ 3× at 4), beside the ideal time companies × latency / (concurrency × runners).
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { writeCompaniesCsv } from "../test/support/companySites.js"
import { startFixtureSitesInWorker } from "../test/support/fixtureSites.js"
import { fixtureEnv, freePort, startCli, startWorker, waitUntil } from "../test/support/pipelineHarness.js"
import { freshDatabase, serverUrl, withServer } from "./_benchDatabase.js"
import { startFakeLlmInWorker } from "./_fakeLlmThread.js"

const { values } = parseArgs({
  options: {
    companies: { type: "string", default: "1000" },
    "llm-latency": { type: "string", default: "100" },
    "llm-concurrency": { type: "string", default: "1" },
    "site-latency": { type: "string", default: "20" },
    runners: { type: "string", default: "1,2,4" },
    /** Also time the single-process pipeline (one process, no cluster) on the same companies, for reference. */
    local: { type: "boolean", default: false }
  }
})
const companies = Number(values.companies)
const llmLatency = Number(values["llm-latency"])
const llmConcurrency = Number(values["llm-concurrency"])
const siteLatency = Number(values["site-latency"])
const runnerCounts = values.runners.split(",").map(Number).filter((n) => n > 0)

const profileArgs = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []

const jsonLines = (text: string) =>
  text.split("\n").flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>]
    } catch {
      return []
    }
  })

const program = Effect.gen(function* () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cf-bench-distributed-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  const csv = writeCompaniesCsv(path.join(dir, "companies.csv"), companies)
  const sites = yield* startFixtureSitesInWorker({
    latencyMs: siteLatency,
    sitesModule: new URL("../test/support/companySites.ts", import.meta.url).href,
    sitesExport: "companySite"
  })
  const llm = yield* startFakeLlmInWorker(llmLatency)
  console.log(
    `distributed bench: ${companies} companies, LLM ${llmLatency} ms × ${llmConcurrency} calls at a time per runner, ` +
      `sites ${siteLatency} ms, ${os.cpus().length} cores, ${serverUrl.replace(/\/\/[^@]*@/, "//")}`
  )

  const results: Array<{ runners: number; seconds: number; throughput: number }> = []
  const baseEnv = (databaseUrl: string) => ({
    DATABASE_URL: databaseUrl,
    ...fixtureEnv({ sitesPort: sites.port, llmUrl: llm.url }),
    SCRAPER_CONCURRENCY: "10",
    CONCURRENT_LLM_CALLS: String(llmConcurrency),
    CLUSTER_HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    ...(process.env.BENCH_ENV ? JSON.parse(process.env.BENCH_ENV) : {})
  })
  const runSeconds = (stderr: string) => Number(jsonLines(stderr).find((l) => l.event === "run.finish")?.seconds)
  if (values.local) {
    yield* Effect.scoped(
      Effect.gen(function* () {
        const env = baseEnv(yield* freshDatabase)
        const done = yield* Effect.promise(() => startCli(["--input", csv], env, dir, profileArgs).done)
        const seconds = runSeconds(done.stderr)
        console.log(`single process (no cluster): ${seconds.toFixed(2)} s, ${(companies / seconds).toFixed(1)} companies/s`)
      })
    )
  }
  for (const count of runnerCounts) {
    yield* Effect.scoped(
      Effect.gen(function* () {
        const databaseUrl = yield* freshDatabase
        const env = baseEnv(databaseUrl)
        for (let i = 0; i < count; i++) {
          const port = yield* Effect.promise(freePort)
          const runner = startWorker({ ...env, CLUSTER_PORT: String(port) }, dir, profileArgs)
          yield* Effect.addFinalizer(() =>
            Effect.promise(() => {
              runner.child.kill("SIGTERM")
              return runner.done
            })
          )
          yield* Effect.promise(() => waitUntil(() => `${runner.output().stdout}${runner.output().stderr}`.includes("Listening on"), 60_000))
        }
        // Measure a settled cluster: every runner holds its share of the shards before work arrives.
        for (let settled = false; !settled; ) {
          const holders = yield* withServer(databaseUrl, (sql) =>
            // Shard locks are advisory locks, one session per runner.
            sql<{ n: number }>`
              SELECT count(DISTINCT l.pid)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()`
          ).pipe(Effect.catchAllDefect(() => Effect.succeed([{ n: 0 }])))
          settled = holders[0]!.n === count
          if (!settled) yield* Effect.sleep("250 millis")
        }
        const submitter = startCli(["--distributed", "--input", csv], { ...env, LOG_LEVEL: "info" }, dir)
        const done = yield* Effect.promise(() => submitter.done)
        if (done.code !== 0) return yield* Effect.dieMessage(`submitter exited ${done.code}: ${done.stderr.slice(-2000)}`)
        const seconds = runSeconds(done.stderr)
        const enriched = yield* withServer(databaseUrl, (sql) =>
          sql<{ n: number }>`SELECT count(*)::int AS n FROM companies WHERE enrichment_status = 'success'`
        )
        if (enriched[0]!.n !== companies) return yield* Effect.dieMessage(`only ${enriched[0]!.n} of ${companies} companies enriched`)
        if (process.env.BENCH_VERBOSE) {
          const timeline = yield* withServer(databaseUrl, (sql) =>
            sql<{ second: number; n: number }>`
              SELECT floor(extract(epoch FROM i.finished_at - r.started_at))::int AS second, count(*)::int AS n
              FROM run_items i JOIN runs r ON r.id = i.run_id WHERE i.stage = 'persist' GROUP BY 1 ORDER BY 1`
          )
          const at = (event: string) => Date.parse(String(jsonLines(done.stderr).find((l) => l.event === event)?.timestamp))
          console.log(`    all submitted ${((at("cluster.submitted") - at("run.start")) / 1000).toFixed(2)} s after the run started`)
          console.log(`    persisted per second since the run started: ${timeline.map((t) => `${t.second}:${t.n}`).join(" ")}`)
        }
        const ideal = (companies * llmLatency) / (llmConcurrency * count) / 1000
        results.push({ runners: count, seconds, throughput: companies / seconds })
        console.log(
          `${count} runner(s): ${seconds.toFixed(2)} s, ${(companies / seconds).toFixed(1)} companies/s ` +
            `(ideal ${ideal.toFixed(2)} s; wall/ideal ${(seconds / ideal).toFixed(3)})`
        )
      })
    )
  }
  const base = results.find((r) => r.runners === 1)
  if (base) {
    for (const r of results.filter((r) => r.runners !== 1)) {
      const ratio = r.throughput / base.throughput
      const target = r.runners === 2 ? 1.7 : r.runners === 4 ? 3 : r.runners * 0.75
      console.log(`scaling ${r.runners} vs 1 runner: ${ratio.toFixed(2)}× (target ≥ ${target}×) ${ratio >= target ? "PASS" : "FAIL"}`)
    }
  }
})

await Effect.runPromise(Effect.scoped(program))
