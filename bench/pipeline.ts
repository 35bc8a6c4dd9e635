/**
 * pnpm bench pipeline [--companies 1000] [--large 20000] [--site-latency 50] [--llm-latency 100] [--concurrency 10]
 *
 * The whole pipeline on the real Postgres (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test; a
 * throwaway database per run) against fixture websites and the fake LLM server, both in worker threads of
 * this process, while each run happens in a child process of its own (clean peak RSS):
 *  (a) streamed run: wall time against the ideal, the slowest stage's calls × latency / concurrency (≤ 1.2);
 *  (b) the same companies with stages one after another (`--only scrape`, then `--only merge,enrich,persist`);
 *  (c) `--run-id` of the finished run: network calls made (0) and its time as a fraction of (a) (< 5%);
 *  (d) peak RSS at --companies and at --large companies, no latency (growth ≤ 1.2×).
 */
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { writeCompaniesCsv } from "../test/support/companySites.js"
import { startFixtureSitesInWorker } from "../test/support/fixtureSites.js"
import { fixtureEnv } from "../test/support/pipelineHarness.js"
import { freshDatabase, serverUrl } from "./_benchDatabase.js"
import { startFakeLlmInWorker } from "./_fakeLlmThread.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, "..")
const { values } = parseArgs({
  options: {
    companies: { type: "string", default: "1000" },
    large: { type: "string", default: "20000" },
    "site-latency": { type: "string", default: "50" },
    "llm-latency": { type: "string", default: "100" },
    concurrency: { type: "string", default: "10" },
    "memory-only": { type: "boolean", default: false }
  }
})
const companies = Number(values.companies)
const large = Number(values.large)
const siteLatency = Number(values["site-latency"])
const llmLatency = Number(values["llm-latency"])
const concurrency = Number(values.concurrency)

interface ChildResult {
  readonly seconds: number
  readonly cpuSeconds: number
  readonly maxRssMb: number
  readonly heapAfterGcMb: number | null
  readonly status: string
}

const fakeLlm = (latencyMs: number) =>
  Effect.map(startFakeLlmInWorker(latencyMs), (server) => ({ url: server.url, calls: Effect.map(server.stats, (s) => s.calls) }))

const runChild = (env: Record<string, string>, options: Record<string, unknown>) =>
  Effect.sync(() => {
    const out = execFileSync(
      process.execPath,
      [...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), "--import", "tsx", path.join(here, "_pipelineRun.ts"), JSON.stringify({ env, options })],
      { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 1024 * 1024 }
    )
    return JSON.parse(out.trim().split("\n").pop()!) as ChildResult
  })

const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL")

const program = Effect.gen(function* () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cf-bench-pipeline-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  const csv = writeCompaniesCsv(path.join(dir, "companies.csv"), companies)
  const sitesModule = new URL("../test/support/companySites.ts", import.meta.url).href

  const sites = yield* startFixtureSitesInWorker({ latencyMs: siteLatency, sitesModule, sitesExport: "companySite" })
  const llm = yield* fakeLlm(llmLatency)
  const env = (databaseUrl: string, extra: Record<string, string> = {}) => ({
    DATABASE_URL: databaseUrl,
    ...fixtureEnv({ sitesPort: sites.port, llmUrl: llm.url }),
    SCRAPER_CONCURRENCY: String(concurrency),
    CONCURRENT_LLM_CALLS: String(concurrency),
    LOG_LEVEL: "warning",
    ...extra
  })

  console.log(`pipeline bench: ${companies} companies, sites ${siteLatency} ms, LLM ${llmLatency} ms, concurrency ${concurrency}, ${serverUrl.replace(/\/\/[^@]*@/, "//")}`)

  if (!values["memory-only"]) {
    // (a) streamed
    const dbA = yield* freshDatabase
    const sitesBefore = sites.requests()
    const llmBefore = yield* llm.calls
    const streamed = yield* runChild(env(dbA), { input: csv })
    const responses = sites.requests() - sitesBefore
    const llmCalls = (yield* llm.calls) - llmBefore
    const scrapeIdeal = (responses * siteLatency) / concurrency / 1000
    const enrichIdeal = (llmCalls * llmLatency) / concurrency / 1000
    const ideal = Math.max(scrapeIdeal, enrichIdeal)
    const ratioA = streamed.seconds / ideal
    console.log(
      `(a) streamed:   ${streamed.seconds.toFixed(2)} s (CPU ${streamed.cpuSeconds.toFixed(1)} s); ${responses} site responses (ideal ${scrapeIdeal.toFixed(2)} s), ` +
        `${llmCalls} LLM calls (ideal ${enrichIdeal.toFixed(2)} s); wall/ideal = ${ratioA.toFixed(3)} (target ≤ 1.2) ${verdict(ratioA <= 1.2)}`
    )

    // (b) stages one after another
    const dbB = yield* freshDatabase
    const scrapeOnly = yield* runChild(env(dbB), { input: csv, only: ["scrape"] })
    const rest = yield* runChild(env(dbB), { input: csv, only: ["merge", "enrich", "persist"] })
    const sequential = scrapeOnly.seconds + rest.seconds
    console.log(
      `(b) sequential: ${sequential.toFixed(2)} s (scrape ${scrapeOnly.seconds.toFixed(2)} s + enrich/persist ${rest.seconds.toFixed(2)} s); ` +
        `streamed is ${(sequential / streamed.seconds).toFixed(2)}× faster, wall/ideal ${(sequential / ideal).toFixed(3)}`
    )

    // (c) resume of the finished run
    const sitesBeforeResume = sites.requests()
    const llmBeforeResume = yield* llm.calls
    const resumed = yield* runChild(env(dbA), { runId: 1 })
    const resumeCalls = sites.requests() - sitesBeforeResume + ((yield* llm.calls) - llmBeforeResume)
    const fraction = resumed.seconds / streamed.seconds
    console.log(
      `(c) resume:     ${resumed.seconds.toFixed(3)} s = ${(fraction * 100).toFixed(2)}% of (a) (target < 5%) ${verdict(fraction < 0.05)}; ` +
        `network calls ${resumeCalls} (target 0) ${verdict(resumeCalls === 0)}`
    )
  }

  // (d) memory: no latency, so the large run is bounded by CPU rather than by the fixtures' sleeps
  const smallCsv = writeCompaniesCsv(path.join(dir, "small.csv"), companies, 1_000_000)
  const largeCsv = writeCompaniesCsv(path.join(dir, "large.csv"), large, 2_000_000)
  const fastSites = yield* startFixtureSitesInWorker({ latencyMs: 0, sitesModule, sitesExport: "companySite" })
  const fastLlm = yield* fakeLlm(0)
  const fastEnv = (databaseUrl: string) => ({
    ...env(databaseUrl),
    SCRAPER_CONNECT_TO: `127.0.0.1:${fastSites.port}`,
    OPENAI_BASE_URL: fastLlm.url,
    SCRAPER_CONCURRENCY: "50",
    CONCURRENT_LLM_CALLS: "50"
  })
  const small = yield* runChild(fastEnv(yield* freshDatabase), { input: smallCsv })
  const big = yield* runChild(fastEnv(yield* freshDatabase), { input: largeCsv })
  const growth = big.maxRssMb / small.maxRssMb
  console.log(
    `(d) peak RSS:   ${small.maxRssMb.toFixed(0)} MB at ${companies} companies (${small.seconds.toFixed(1)} s, CPU ${small.cpuSeconds.toFixed(1)} s), ` +
      `${big.maxRssMb.toFixed(0)} MB at ${large} (${big.seconds.toFixed(1)} s, CPU ${big.cpuSeconds.toFixed(1)} s); growth ${growth.toFixed(2)}× (target ≤ 1.2×) ${verdict(growth <= 1.2)}`
  )
  if (small.heapAfterGcMb !== null && big.heapAfterGcMb !== null) {
    console.log(`    live heap after the run (forced GC): ${small.heapAfterGcMb.toFixed(0)} MB at ${companies}, ${big.heapAfterGcMb.toFixed(0)} MB at ${large}`)
  }
})

await Effect.runPromise(Effect.scoped(program))
