/**
 * pnpm bench enrich [--companies 1000] [--latency 100] [--concurrency 10] [--provider openai-compatible|openai]
 *                   [--cache db|memory] [--server thread|inline]
 *
 * The enrich stage against the fake LLM server (127.0.0.1, in a worker thread by default, like a remote
 * server) answering after a fixed latency: every company fanned out at once, the Enricher's own bound keeping
 * CONCURRENT_LLM_CALLS in flight, results cached in an embedded database. Wall time is compared with the
 * ideal (calls × latency / concurrency) and with bare HTTP calls at the same concurrency measured in this run.
 * Target: ≤ 1.10 × ideal.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { ConfigProvider, Context, Effect, Layer, Logger, LogLevel, type Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { DatabaseLive } from "../src/db/Database.js"
import { Enricher, EnricherLive, enricherLayer } from "../src/stages/enrich/Enricher.js"
import { EnrichmentCache } from "../src/stages/enrich/EnrichmentCache.js"
import type { EnrichmentInput } from "../src/stages/enrich/EnrichmentInput.js"
import { systemPrompt, userPrompt } from "../src/stages/enrich/EnrichmentPrompt.js"
import { LlmConfig } from "../src/config/LlmConfig.js"
import { startFakeLlmServer } from "../test/support/fakeLlmServer.js"
import { startFakeLlmInWorker } from "./_fakeLlmThread.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    companies: { type: "string", default: "1000" },
    latency: { type: "string", default: "100" },
    concurrency: { type: "string", default: "10" },
    provider: { type: "string", default: "openai-compatible" },
    cache: { type: "string", default: "db" },
    server: { type: "string", default: "thread" }
  }
})
const companies = Number(values.companies)
const latencyMs = Number(values.latency)
const concurrency = Number(values.concurrency)
const provider = values.provider === "openai" ? "openai" : "openai-compatible"
const cacheKind = values.cache === "memory" ? "memory" : "db"
const serverKind = values.server === "inline" ? "inline" : "thread"
const TARGET = 1.1

interface BenchServer {
  readonly url: string
  readonly stats: Effect.Effect<{ calls: number; maxInFlight: number }>
}

const threadServer: Effect.Effect<BenchServer, never, Scope.Scope> = startFakeLlmInWorker(latencyMs)

const inlineServer = Effect.map(startFakeLlmServer({ latencyMs }), (server): BenchServer => ({
  url: server.url,
  stats: Effect.sync(() => ({ calls: server.calls(), maxInFlight: server.maxInFlight() }))
}))

const industries = ["SaaS", "Fintech", "E-commerce", "Logistics", "Consulting", "Government", "Manufacturing", null]
const sentences = [
  "We build a cloud platform that automates back-office workflows for growing teams.",
  "Connect your tools through our API and dozens of integrations.",
  "Our customer support team answers thousands of tickets every week.",
  "Founded in 2009, the company serves customers in 40 countries.",
  "Dashboards and reporting give operations managers real-time data.",
  "Book a demo to see how we scale with your business."
]

const makeCompany = (i: number): EnrichmentInput => ({
  companyName: `Company ${i}`,
  domain: `company-${i}.example`,
  countryName: i % 3 === 0 ? "Germany" : "United States",
  countryRaw: i % 3 === 0 ? "DE" : "US",
  employeeCount: (i * 37) % 6000,
  industry: industries[i % industries.length]!,
  websiteText:
    i % 10 === 0 ? null : Array.from({ length: 12 }, (_, k) => sentences[(i + k) % sentences.length]).join(" ")
})

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

const program = Effect.gen(function* () {
  const server = yield* (serverKind === "thread" ? threadServer : inlineServer)
  const inputs = Array.from({ length: companies }, (_, i) => makeCompany(i))
  const ideal = (companies * latencyMs) / concurrency

  // Baseline: the same number of bare HTTP requests at the same concurrency, no Effect AI, no cache.
  const icpText = fs.readFileSync(path.join(here, "../data/icp.md"), "utf8")
  const body = (input: EnrichmentInput) =>
    JSON.stringify({
      model: "fake-model",
      messages: [
        { role: "system", content: systemPrompt(icpText) },
        { role: "user", content: userPrompt(input) }
      ],
      response_format: { type: "json_object" }
    })
  const baselineStart = performance.now()
  yield* Effect.forEach(
    inputs,
    (input) =>
      Effect.promise(() =>
        fetch(`${server.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: body(input) }).then(
          (r) => r.text()
        )
      ),
    { concurrency, discard: true }
  )
  const baselineMs = performance.now() - baselineStart
  const callsBefore = (yield* server.stats).calls

  const env = {
    LLM_PROVIDER: provider,
    OPENAI_BASE_URL: server.url,
    OPENAI_API_KEY: "sk-bench",
    OPENAI_MODEL: "fake-model",
    CONCURRENT_LLM_CALLS: String(concurrency),
    ICP_PROFILE: path.join(here, "../data/icp.md")
  }
  const configLayer = Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  let enricherLive: Layer.Layer<Enricher, unknown>
  if (cacheKind === "db") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cf-bench-enrich-"))
    // Run as root, the embedded server runs as the postgres user, which must reach its directory.
    fs.chmodSync(dir, 0o755)
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    const db = yield* Layer.build(
      DatabaseLive.pipe(
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["EMBEDDED_DATA_DIR", path.join(dir, "db")]]))))
      )
    )
    enricherLive = EnricherLive.pipe(Layer.provide(Layer.succeedContext(db)), Layer.provide(configLayer))
  } else {
    enricherLive = Layer.unwrapEffect(Effect.map(LlmConfig, (settings) => enricherLayer({ settings }))).pipe(
      Layer.provide(Layer.merge(EnrichmentCache.layerMemory, NodeHttpClient.layerUndici)),
      Layer.provide(configLayer)
    )
  }
  const enricher = Context.get(yield* Layer.build(enricherLive), Enricher)

  const run = () =>
    Effect.gen(function* () {
      const start = performance.now()
      const results = yield* Effect.forEach(inputs, (input) => Effect.either(enricher.enrich(input)), {
        concurrency: "unbounded"
      })
      return {
        ms: performance.now() - start,
        failed: results.filter((r) => r._tag === "Left").length,
        cached: results.filter((r) => r._tag === "Right" && r.right.cached).length,
        meanCallMs:
          results.reduce((sum, r) => sum + (r._tag === "Right" && !r.right.cached ? r.right.latencyMs : 0), 0) /
          Math.max(1, results.filter((r) => r._tag === "Right" && !r.right.cached).length)
      }
    })

  const first = yield* run()
  const afterFirst = yield* server.stats
  const calls = afterFirst.calls - callsBefore
  const second = yield* run()
  const secondCalls = (yield* server.stats).calls - callsBefore - calls
  const ratio = first.ms / ideal

  console.log(
    `enrich bench: ${companies} companies, provider ${provider}, fake LLM latency ${latencyMs} ms, ` +
      `CONCURRENT_LLM_CALLS=${concurrency}, cache: ${cacheKind === "db" ? "embedded database" : "memory"}, server: ${serverKind === "thread" ? "worker thread" : "same thread"}`
  )
  console.log(`  ideal (calls × latency / concurrency)     ${seconds(ideal)}`)
  console.log(`  baseline: bare HTTP calls, same bound      ${seconds(baselineMs)}   ${(baselineMs / ideal).toFixed(3)} × ideal`)
  console.log(
    `  enrich stage (cold cache)                  ${seconds(first.ms)}   ${ratio.toFixed(3)} × ideal, ` +
      `${(first.ms / baselineMs).toFixed(3)} × baseline   (${calls} calls, ${first.failed} failed, max in flight ${afterFirst.maxInFlight}, mean call ${first.meanCallMs.toFixed(1)} ms)`
  )
  console.log(
    `  enrich stage again (warm cache)            ${seconds(second.ms)}   ${second.cached} cached, ${secondCalls} calls sent`
  )
  const pass = ratio <= TARGET && first.failed === 0 && calls === companies && secondCalls === 0
  console.log(`  target: wall ≤ ${TARGET.toFixed(2)} × ideal, every company enriched, nothing re-sent: ${pass ? "PASS" : "FAIL"}`)
  return pass
})

const pass = await Effect.runPromise(
  program.pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning))
)
process.exit(pass ? 0 : 1)
