/**
 * pnpm bench scrape [--domains 1000] [--latency 50] [--concurrency 10]
 *
 * The configured Scraper (Scraper.Default, as the CLI builds it, with SCRAPER_CONNECT_TO) against generated
 * company sites on one fixture server on 127.0.0.1, in a worker thread like a remote server, every response
 * (robots.txt, homepage, extra pages) answered after a fixed latency; every domain fanned out at once, the
 * Scraper's own bounds keeping SCRAPER_CONCURRENCY requests in flight and one per host. Wall time is compared
 * with the ideal (responses × latency / concurrency), and the same requests sent bare (undici, same bound,
 * another server) in this run show what the machine allows at best. Target: ≤ 1.15 × ideal.
 *
 * Then the same domains once more, on a server that also serves one hostile page among them (100,000 nested
 * elements, `DEEP_SITE`), with SCRAPER_MAX_BYTES raised so that it is read and processed: the other domains'
 * wall time with it, against the same scraper's wall time without it in this run. Target: ≤ 1.15 ×.
 */
import Undici from "@effect/platform-node/Undici"
import { ConfigProvider, Context, Effect, Layer, Logger, LogLevel } from "effect"
import * as os from "node:os"
import { parseArgs } from "node:util"
import { Scraper } from "../src/stages/scrape/Scraper.js"
import { startFixtureSitesInWorker, startGeneratedSites } from "../test/support/fixtureSites.js"
import { DEEP_SITE } from "../test/support/generatedSites.js"

const { values } = parseArgs({
  options: {
    domains: { type: "string", default: "1000" },
    latency: { type: "string", default: "50" },
    concurrency: { type: "string", default: "10" }
  }
})
const domainCount = Number(values.domains)
const latencyMs = Number(values.latency)
const concurrency = Number(values.concurrency)
const TARGET = 1.15
const DEEP_TARGET = 1.15
// What the generated sites make the scraper fetch: robots.txt, the homepage and its two best extra pages.
const PATHS = ["/robots.txt", "/", "/about", "/platform"]

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

const program = Effect.gen(function* () {
  const bare = yield* startGeneratedSites({ count: domainCount, latencyMs, inWorker: true })
  const sites = yield* startGeneratedSites({ count: domainCount, latencyMs, inWorker: true })

  // Baseline: the same requests, bare, at the same bound: what the server and the event loop allow at best.
  const agent = new Undici.Agent({ keepAliveTimeout: 4_000 })
  yield* Effect.addFinalizer(() => Effect.promise(() => agent.destroy()))
  const bareRequests = bare.domains.flatMap((host) => PATHS.map((path) => ({ host, path })))
  const baselineStart = performance.now()
  yield* Effect.forEach(
    bareRequests,
    ({ host, path }) =>
      Effect.promise(() =>
        Undici.request(`http://${bare.connectTo}${path}`, { dispatcher: agent, headers: { host } }).then((r) => r.body.text())
      ),
    { concurrency, discard: true }
  )
  const baselineMs = performance.now() - baselineStart
  const baselineIdeal = (bareRequests.length * latencyMs) / concurrency

  const config = ConfigProvider.fromMap(
    new Map(Object.entries({ ...sites.env, SCRAPER_CONCURRENCY: String(concurrency), SCRAPER_TIMEOUT: "10" }))
  )
  const context = yield* Layer.build(Scraper.Default.pipe(Layer.provide(Layer.setConfigProvider(config))))
  const scraper = Context.get(context, Scraper)

  const elu0 = performance.eventLoopUtilization()
  const before = sites.requests()
  const start = performance.now()
  const results = yield* Effect.forEach(sites.domains, (d) => scraper.scrape(d), { concurrency: "unbounded" })
  const ms = performance.now() - start
  const busy = performance.eventLoopUtilization(elu0).utilization
  const responses = sites.requests() - before
  const ideal = (responses * latencyMs) / concurrency
  const ratio = ms / ideal
  const succeeded = results.filter((r) => r.status === "success").length
  const pagesPerSite = results.reduce((n, r) => n + r.pages.length, 0) / Math.max(1, succeeded)

  console.log(
    `scrape bench: ${domainCount} generated company sites, fixture latency ${latencyMs} ms per response, ` +
      `SCRAPER_CONCURRENCY=${concurrency}; load average ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores`
  )
  console.log(
    `  baseline: ${bareRequests.length} bare requests, same bound     ${seconds(baselineMs)}   ${(baselineMs / baselineIdeal).toFixed(3)} × its ideal`
  )
  console.log(
    `  scraper:  ${responses} responses                   ${seconds(ms)}   ideal ${seconds(ideal)}   ${ratio.toFixed(3)} × ideal, ` +
      `${(ms / baselineMs).toFixed(3)} × baseline`
  )
  console.log(
    `  ${succeeded}/${domainCount} succeeded, ${pagesPerSite.toFixed(2)} pages each; peak in flight ${sites.peakInFlight()}, ` +
      `per host ${sites.peakPerHost()}; client event loop ${(busy * 100).toFixed(0)}% busy`
  )
  const bounded = sites.peakInFlight() <= concurrency && sites.peakPerHost() === 1
  const pass = ratio <= TARGET && succeeded === domainCount && bounded
  console.log(
    `  target: wall ≤ ${TARGET.toFixed(2)} × ideal (responses × latency / concurrency), every domain scraped, bounds kept: ` +
      (pass ? "PASS" : "FAIL")
  )

  // One deep page among the domains: the others must not wait for it.
  const deepRun = (withDeep: boolean) =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* startFixtureSitesInWorker({
          latencyMs,
          sitesModule: new URL("../test/support/generatedSites.ts", import.meta.url).href,
          sitesExport: "generatedSiteWithDeepPage"
        })
        const env = {
          SCRAPER_CONNECT_TO: `127.0.0.1:${server.port}`,
          SCRAPER_ALLOW_PRIVATE_NETWORKS: "true",
          SCRAPER_CONCURRENCY: String(concurrency),
          SCRAPER_TIMEOUT: "10",
          SCRAPER_MAX_BYTES: "4000000"
        }
        const provider = ConfigProvider.fromMap(new Map(Object.entries(env)))
        const built = yield* Layer.build(Scraper.Default.pipe(Layer.provide(Layer.setConfigProvider(provider))))
        const deepScraper = Context.get(built, Scraper)
        const domains = withDeep ? [DEEP_SITE, ...sites.domains] : sites.domains
        let othersDoneAt = 0
        let deepOutcome = ""
        const t0 = performance.now()
        yield* Effect.forEach(
          domains,
          (d) =>
            Effect.tap(deepScraper.scrape(d), (r) =>
              Effect.sync(() => {
                if (d === DEEP_SITE) deepOutcome = `${r.status}${r.errorKind ? ` (${r.errorKind})` : ""} after ${seconds(performance.now() - t0)}`
                else othersDoneAt = Math.max(othersDoneAt, performance.now() - t0)
              })
            ),
          { concurrency: "unbounded", discard: true }
        )
        return { othersMs: othersDoneAt, deepOutcome }
      })
    )
  const without = yield* deepRun(false)
  const withDeep = yield* deepRun(true)
  const deepRatio = withDeep.othersMs / without.othersMs
  const deepPass = deepRatio <= DEEP_TARGET
  console.log(
    `  one deep page (100,000 nested elements) among the ${domainCount}: the others took ${seconds(withDeep.othersMs)} with it, ` +
      `${seconds(without.othersMs)} without: ${deepRatio.toFixed(3)} ×; the deep page: ${withDeep.deepOutcome}`
  )
  console.log(`  target: the others ≤ ${DEEP_TARGET.toFixed(2)} × their time without it: ${deepPass ? "PASS" : "FAIL"}`)
  return pass && deepPass
})

const pass = await Effect.runPromise(program.pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning)))
process.exit(pass ? 0 : 1)
