/**
 * pnpm bench scrape [--domains 1000] [--latency 50] [--concurrency 10]
 *
 * The Scraper against fixture sites on 127.0.0.1 (one server in a worker thread, like a remote server, telling
 * sites apart by Host), every response (robots.txt, homepage, about page) answered after a fixed latency;
 * every domain fanned out at once, the Scraper's own bounds keeping SCRAPER_CONCURRENCY requests in flight. Wall time is compared with the ideal
 * (responses × latency / concurrency) and with the same requests sent bare (undici, same bound) in this run.
 * Target: ≤ 1.15 × ideal.
 */
import Undici from "@effect/platform-node/Undici"
import { Context, Effect, Layer, Logger, LogLevel } from "effect"
import { parseArgs } from "node:util"
import type { ScraperSettings } from "../src/config/ScraperConfig.js"
import { Scraper, scraperLayer } from "../src/stages/scrape/Scraper.js"
import { startFixtureSitesInWorker } from "../test/support/fixtureSites.js"

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

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

const program = Effect.gen(function* () {
  const serve = startFixtureSitesInWorker({
    latencyMs,
    sitesModule: new URL("./_scrapeSites.ts", import.meta.url).href,
    sitesExport: "benchSite"
  })
  const bare = yield* serve
  const sites = yield* serve
  const domains = Array.from({ length: domainCount }, (_, i) => `site${i}.test`)

  // Baseline: the same requests, bare, at the same bound: what the server and the event loop allow at best.
  const agent = new Undici.Agent({ keepAliveTimeout: 4_000 })
  yield* Effect.addFinalizer(() => Effect.promise(() => agent.destroy()))
  const bareRequests = domains.flatMap((d) => ["/robots.txt", "/", "/about"].map((p) => ({ host: d, path: p })))
  const baselineStart = performance.now()
  yield* Effect.forEach(
    bareRequests,
    ({ host, path }) =>
      Effect.promise(() =>
        Undici.request(`http://127.0.0.1:${bare.port}${path}`, { dispatcher: agent, headers: { host } }).then((r) => r.body.text())
      ),
    { concurrency, discard: true }
  )
  const baselineMs = performance.now() - baselineStart
  const baselineIdeal = (bareRequests.length * latencyMs) / concurrency

  const settings: ScraperSettings = {
    timeoutSeconds: 10,
    maxRetries: 3,
    userAgent: "CommonForge Lead Scorer/1.0",
    maxTextLength: 3000,
    concurrency,
    allowPrivateNetworks: true,
    maxBytes: 2_000_000,
    extraPages: 2,
    maxAgeDays: 7
  }
  const context = yield* Layer.build(scraperLayer(settings).pipe(Layer.provide(sites.layer)))
  const scraper = Context.get(context, Scraper)

  const elu0 = performance.eventLoopUtilization()
  const before = sites.requests()
  const start = performance.now()
  const results = yield* Effect.forEach(domains, (d) => scraper.scrape(d), { concurrency: "unbounded" })
  const ms = performance.now() - start
  const busy = performance.eventLoopUtilization(elu0).utilization
  const responses = sites.requests() - before
  const ideal = (responses * latencyMs) / concurrency
  const ratio = ms / ideal
  const succeeded = results.filter((r) => r.status === "success").length
  const withAbout = results.filter((r) => r.pages.length === 2).length

  console.log(`scrape bench: ${domainCount} domains, fixture latency ${latencyMs} ms per response, SCRAPER_CONCURRENCY=${concurrency}`)
  console.log(`  baseline: ${bareRequests.length} bare requests, same bound   ${seconds(baselineMs)}   ${(baselineMs / baselineIdeal).toFixed(3)} × its ideal`)
  console.log(
    `  scraper: ${responses} responses                  ${seconds(ms)}   ideal ${seconds(ideal)}   ${ratio.toFixed(3)} × ideal, ` +
      `${(ms / baselineMs).toFixed(3)} × baseline`
  )
  console.log(
    `  ${succeeded}/${domainCount} succeeded, ${withAbout} with their about page; peak in flight ${sites.peakInFlight()}, ` +
      `per host ${sites.peakPerHost()}; client event loop ${(busy * 100).toFixed(0)}% busy`
  )
  { const G = (globalThis as any).__T; console.log("n", G.n, "dispatch→headers", (G.a2c / G.n).toFixed(2), "headers→scope end", (G.c2d / G.n).toFixed(2), "release→next acquire", (G.gap / G.n).toFixed(2)) }
  const pass = ratio <= TARGET && succeeded === domainCount && sites.peakInFlight() <= concurrency && sites.peakPerHost() === 1
  console.log(`  target: wall ≤ ${TARGET.toFixed(2)} × ideal (responses × latency / concurrency), every domain scraped: ${pass ? "PASS" : "FAIL"}`)
  return pass
})

const pass = await Effect.runPromise(program.pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning)))
process.exit(pass ? 0 : 1)
