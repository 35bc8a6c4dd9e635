/**
 * pnpm bench dns [--domains 1000] [--concurrency 50] [--delay 2000] [--baseline-domains 40]
 *
 * Dead domains against a fake DNS server on 127.0.0.1 that answers every question NXDOMAIN (then, a second run,
 * SERVFAIL) after `--delay` ms: the configured Scraper (Scraper.Default, SCRAPER_DNS_SERVERS pointing at the
 * server, SCRAPER_CONCURRENCY=`--concurrency`), every domain fanned out at once. Wall time is compared with the
 * ideal, domains × delay / concurrency: one lookup per dead domain, `concurrency` at a time. Target ≤ 1.3 × ideal.
 *
 * Baseline in the same run: the resolver the scraper used before, getaddrinfo through libuv's thread pool, on
 * `--baseline-domains` domains. getaddrinfo reads its name servers from /etc/resolv.conf (port 53 only), so it runs
 * in a child process in private mount and network namespaces (`unshare`, root) whose resolv.conf names the fake
 * server on 127.0.0.1:53; where unshare is not permitted, the baseline is skipped.
 */
import { ConfigProvider, Context, Effect, Layer, Logger, LogLevel } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { HostResolver, systemLookup } from "../src/stages/scrape/HostResolver.js"
import { makeKeyedMemo } from "../src/stages/scrape/makeKeyedMemo.js"
import { Scraper, scraperLayer } from "../src/stages/scrape/Scraper.js"
import { ScraperConfig } from "../src/config/ScraperConfig.js"
import { SiteAddressing } from "../src/stages/scrape/SiteAddressing.js"
import { type DnsRcode, startFakeDnsServer } from "../test/support/fakeDnsServer.js"

const { values } = parseArgs({
  options: {
    domains: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "50" },
    delay: { type: "string", default: "2000" },
    "baseline-domains": { type: "string", default: "40" },
    "baseline-child": { type: "boolean", default: false }
  }
})
const domainCount = Number(values.domains)
const concurrency = Number(values.concurrency)
const delayMs = Number(values.delay)
const baselineDomains = Number(values["baseline-domains"])
const TARGET = 1.3

const deadDomains = (count: number) => Array.from({ length: count }, (_, i) => `dead-${String(i + 1).padStart(4, "0")}.example`)

const env = (extra: Record<string, string>) =>
  ConfigProvider.fromMap(
    new Map(Object.entries({ SCRAPER_CONCURRENCY: String(concurrency), SCRAPER_TIMEOUT: "10", SCRAPER_DNS_TIMEOUT: "10", ...extra }))
  )

/** Every domain at once through `scraper`; wall time and whether each ended DnsFailure. */
const scrapeAll = (scraper: Scraper, domains: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const start = performance.now()
    const results = yield* Effect.forEach(domains, (d) => scraper.scrape(d), { concurrency: "unbounded" })
    const ms = performance.now() - start
    const kinds: Record<string, number> = {}
    for (const r of results) kinds[r.errorKind ?? r.status] = (kinds[r.errorKind ?? r.status] ?? 0) + 1
    return { ms, dnsFailures: kinds["DnsFailure"] ?? 0, kinds }
  })

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

/** The new resolver: c-ares through SCRAPER_DNS_SERVERS, as the CLI builds the scraper. */
const runCares = (rcode: DnsRcode) =>
  Effect.scoped(
    Effect.gen(function* () {
      const server = yield* startFakeDnsServer(() => ({ rcode, delayMs }))
      const context = yield* Layer.build(Scraper.Default.pipe(Layer.provide(Layer.setConfigProvider(env({ SCRAPER_DNS_SERVERS: server.address })))))
      const outcome = yield* scrapeAll(Context.get(context, Scraper), deadDomains(domainCount))
      return { ...outcome, questions: server.queries().length, peak: server.peakInFlight() }
    })
  )

/** The child of the baseline, inside its namespaces: getaddrinfo, memoized per name as the scraper did. */
const baselineChild = Effect.scoped(
  Effect.gen(function* () {
    const server = yield* startFakeDnsServer(() => ({ rcode: "NXDOMAIN", delayMs }), { port: 53 })
    const settings = yield* Effect.withConfigProvider(ScraperConfig, env({}))
    const lookup = makeKeyedMemo((host) => systemLookup(host, 10_000), { ttlMs: 60_000 })
    const network = Layer.merge(Layer.succeed(HostResolver, { resolve: lookup }), SiteAddressing.Direct)
    const context = yield* Layer.build(scraperLayer(settings).pipe(Layer.provide(network)))
    const outcome = yield* scrapeAll(Context.get(context, Scraper), deadDomains(baselineDomains))
    console.log(JSON.stringify({ ...outcome, questions: server.queries().length }))
  })
)

const kindList = (kinds: Record<string, number>) => Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ")

const runBaseline = (): { ms: number; dnsFailures: number; questions: number; kinds: Record<string, number> } | string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-dns-"))
  const resolvConf = path.join(dir, "resolv.conf")
  fs.writeFileSync(resolvConf, "nameserver 127.0.0.1\noptions timeout:10 attempts:1\n")
  const self = fileURLToPath(import.meta.url)
  const tsx = path.join(path.dirname(self), "..", "node_modules", ".bin", "tsx")
  const script = `ip link set lo up && mount --bind ${resolvConf} /etc/resolv.conf && exec ${tsx} ${self} --baseline-child ` +
    `--baseline-domains ${baselineDomains} --concurrency ${concurrency} --delay ${delayMs}`
  const child = spawnSync("unshare", ["--mount", "--net", "sh", "-c", script], { encoding: "utf8", timeout: 1_800_000 })
  fs.rmSync(dir, { recursive: true, force: true })
  const line = child.stdout?.trim().split("\n").pop() ?? ""
  if (child.status !== 0 || !line.startsWith("{")) return (child.stderr || child.error?.message || "no output").trim().split("\n")[0]!
  return JSON.parse(line)
}

const program = Effect.gen(function* () {
  const ideal = (domains: number) => (domains * delayMs) / concurrency
  console.log(
    `dns bench: ${domainCount} dead domains, fake DNS server on 127.0.0.1 answering after ${delayMs} ms, ` +
      `SCRAPER_CONCURRENCY=${concurrency}; load average ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores`
  )
  const baseline = runBaseline()
  if (typeof baseline === "string") console.log(`  baseline (getaddrinfo, libuv pool): skipped: ${baseline}`)
  else {
    console.log(
      `  baseline (getaddrinfo, libuv pool), NXDOMAIN, ${baselineDomains} domains: ${seconds(baseline.ms)}   ideal ${seconds(ideal(baselineDomains))}   ` +
        `${(baseline.ms / ideal(baselineDomains)).toFixed(2)} × ideal; ${baseline.questions} questions; ${kindList(baseline.kinds)} ` +
        `(a lookup queued behind the pool's four threads runs out its deadline unasked: Timeout, retryable)`
    )
  }
  let pass = true
  for (const rcode of ["NXDOMAIN", "SERVFAIL"] as const) {
    const run = yield* runCares(rcode)
    const ratio = run.ms / ideal(domainCount)
    pass &&= ratio <= TARGET && run.dnsFailures === domainCount
    console.log(
      `  c-ares resolver, ${rcode}, ${domainCount} domains: ${seconds(run.ms)}   ideal ${seconds(ideal(domainCount))}   ${ratio.toFixed(3)} × ideal; ` +
        `${run.questions} questions (A + AAAA), peak ${run.peak} names in flight, ${kindList(run.kinds)}` +
        (typeof baseline === "string" ? "" : `; ${(baseline.ms / ideal(baselineDomains) / ratio).toFixed(1)} × faster than the baseline`)
    )
  }
  console.log(`  target: wall ≤ ${TARGET} × ideal (domains × delay / concurrency), every domain DnsFailure: ${pass ? "PASS" : "FAIL"}`)
  return pass
})

if (values["baseline-child"]) {
  await Effect.runPromise(baselineChild.pipe(Logger.withMinimumLogLevel(LogLevel.Warning)))
  process.exit(0)
}
const pass = await Effect.runPromise(program.pipe(Logger.withMinimumLogLevel(LogLevel.Warning)))
process.exit(pass ? 0 : 1)
