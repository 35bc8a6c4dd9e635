import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Deferred, Effect, Fiber, Layer } from "effect"
import iconv from "iconv-lite"
import { createHash } from "node:crypto"
import * as zlib from "node:zlib"
import type { ScraperSettings } from "../src/config/ScraperConfig.js"
import type { ScrapeResult } from "../src/schema/ScrapeResult.js"
import { HostResolver } from "../src/stages/scrape/HostResolver.js"
import { ScrapeError } from "../src/stages/scrape/ScrapeError.js"
import { Scraper, scraperLayer } from "../src/stages/scrape/Scraper.js"
import { SiteAddressing } from "../src/stages/scrape/SiteAddressing.js"
import { startFakeDnsServer } from "./support/fakeDnsServer.js"
import { ScraperTuning } from "../src/stages/scrape/ScraperTuning.js"
import { parseConnectTo, ScraperConfig } from "../src/config/ScraperConfig.js"
import { type FixtureSites, type FixtureSitesOptions, html, htmlPage, startFixtureSites, startGeneratedSites } from "./support/fixtureSites.js"

const UA = "CommonForge Lead Scorer/1.0"

const settings: ScraperSettings = {
  timeoutSeconds: 2,
  maxRetries: 2,
  userAgent: UA,
  maxTextLength: 3000,
  concurrency: 4,
  allowPrivateNetworks: true,
  maxBytes: 200_000,
  extraPages: 2,
  maxAgeDays: 7,
  connectTo: null,
  dnsServers: [],
  dnsConcurrency: 4,
  dnsTimeoutSeconds: 2,
  pageWorkers: 2,
  pageBudgetMs: 60_000
}

const fastTuning = Layer.succeed(ScraperTuning, {
  ...ScraperTuning.defaultValue(),
  retryBaseDelay: "20 millis",
  retryMaxDelay: "100 millis",
  retryAfterCap: "3 seconds",
  crawlDelayCap: "300 millis"
})

/** A scraper wired to a fresh fixture server; the body gets both. */
const withScraper = <A>(
  fixture: FixtureSitesOptions,
  overrides: Partial<ScraperSettings>,
  body: (scraper: Scraper, sites: FixtureSites) => Effect.Effect<A>
) =>
  Effect.gen(function* () {
    const sites = yield* startFixtureSites(fixture)
    const layer = scraperLayer({ ...settings, ...overrides }).pipe(Layer.provide(sites.layer), Layer.provide(fastTuning))
    return yield* Effect.flatMap(Scraper, (scraper) => body(scraper, sites)).pipe(Effect.provide(layer))
  })

const scrapeOne = (fixture: FixtureSitesOptions, domain: string, overrides: Partial<ScraperSettings> = {}) =>
  withScraper(fixture, overrides, (scraper, sites) => Effect.map(scraper.scrape(domain), (result) => ({ result, sites })))

const paths = (sites: FixtureSites, host: string) => sites.log().filter((r) => r.host === host).map((r) => r.path)

const expectFailure = (result: ScrapeResult, errorKind: string, extra: Partial<ScrapeResult> = {}) => {
  expect({ status: result.status, errorKind: result.errorKind, ...pick(result, Object.keys(extra)) }).toEqual({
    status: "failed",
    errorKind,
    ...extra
  })
  expect(result.text).toBeNull()
  expect(result.contentHash).toBeNull()
  expect(result.errorMessage).toBeTruthy()
}

const pick = (value: object, keys: ReadonlyArray<string>) =>
  Object.fromEntries(keys.map((k) => [k, (value as Record<string, unknown>)[k]]))

const acme = {
  "acme.test": {
    routes: {
      "/": html(
        htmlPage({
          title: "Acme Robotics",
          description: "Warehouse robots for mid-size logistics companies",
          body: "Acme builds autonomous picking robots.",
          links: [["/about", "About"], ["/pricing", "Pricing"], ["/blog/2024/05/06/news", "Blog"], ["https://elsewhere.test/about", "Partner"]]
        })
      ),
      "/about": html(htmlPage({ title: "About Acme", body: "Founded in 2015 in Lyon, Acme employs 120 engineers." })),
      "/pricing": html(htmlPage({ title: "Pricing", body: "Plans start at 2,000 EUR per robot per month." }))
    }
  }
}

describe("Scraper", () => {
  it.scopedLive("scrapes a homepage and its about / pricing pages, with our User-Agent, robots.txt read once", () =>
    withScraper({ sites: acme }, {}, (scraper, sites) =>
      Effect.gen(function* () {
        const result = yield* scraper.scrape("acme.test")
        expect(result).toMatchObject({
          domain: "acme.test",
          status: "success",
          errorKind: null,
          errorMessage: null,
          retryable: false,
          finalUrl: "https://acme.test/",
          httpStatus: 200,
          pages: [
            { url: "https://acme.test/", httpStatus: 200 },
            { url: "https://acme.test/about", httpStatus: 200 },
            { url: "https://acme.test/pricing", httpStatus: 200 }
          ]
        })
        expect(result.text).toContain("Acme builds autonomous picking robots.")
        expect(result.text).toContain("Warehouse robots for mid-size logistics companies")
        expect(result.text).toContain("Founded in 2015 in Lyon")
        expect(result.text).toContain("2,000 EUR per robot")
        expect(result.contentHash).toBe(createHash("sha256").update(result.text!).digest("hex"))
        expect(result.fetchedAt).toBeInstanceOf(Date)
        expect(sites.log().every((r) => r.userAgent === UA)).toBe(true)

        expect(paths(sites, "acme.test").filter((p) => p === "/robots.txt")).toHaveLength(1)
        // The host was forgotten once its company was done: a later company on it reads robots.txt anew.
        yield* scraper.scrape("acme.test")
        expect(paths(sites, "acme.test").filter((p) => p === "/robots.txt")).toHaveLength(2)
        expect(paths(sites, "elsewhere.test")).toEqual([])
        expect(paths(sites, "acme.test")).not.toContain("/blog/2024/05/06/news")
      })
    ))

  it.scopedLive("shares MAX_WEBSITE_TEXT_LENGTH among the pages", () =>
    Effect.gen(function* () {
      const words = (word: string) => Array.from({ length: 300 }, () => word).join(" ")
      const { result } = yield* scrapeOne(
        {
          sites: {
            "big.test": {
              routes: {
                "/": html(htmlPage({ body: words("home"), links: [["/about-us", "About us"], ["/products", "Products"]] })),
                "/about-us": html(htmlPage({ body: words("about") })),
                "/products": html(htmlPage({ body: words("product") }))
              }
            }
          }
        },
        "big.test",
        { maxTextLength: 600 }
      )
      expect(result.status).toBe("success")
      expect(result.text!.length).toBeLessThanOrEqual(600)
      for (const word of ["home", "about", "product"]) expect(result.text).toContain(word)
      expect(result.pages).toHaveLength(3)
    }))

  it.scopedLive("takes no extra page when SCRAPER_EXTRA_PAGES is 0", () =>
    Effect.gen(function* () {
      const { result, sites } = yield* scrapeOne({ sites: acme }, "acme.test", { extraPages: 0 })
      expect(result.pages).toEqual([{ url: "https://acme.test/", httpStatus: 200 }])
      expect(paths(sites, "acme.test")).toEqual(["/robots.txt", "/"])
    }))

  describe("redirects", () => {
    it.scopedLive("follows a chain hop by hop, checking robots.txt of each new host, and records the final URL", () =>
      Effect.gen(function* () {
        const { result, sites } = yield* scrapeOne(
          {
            sites: {
              "chain.test": {
                routes: {
                  "/": { status: 301, headers: { location: "/start" } },
                  "/start": { status: 302, headers: { location: "https://www.chain.test/home#top" } }
                }
              },
              "www.chain.test": { routes: { "/home": html(htmlPage({ body: "Arrived after two redirects." })) } }
            }
          },
          "chain.test"
        )
        expect(result).toMatchObject({ status: "success", finalUrl: "https://www.chain.test/home", httpStatus: 200 })
        expect(result.text).toContain("Arrived after two redirects.")
        expect(paths(sites, "www.chain.test")).toEqual(["/robots.txt", "/home"])
      }))

    it.scopedLive("gives up after 5 redirects", () =>
      Effect.gen(function* () {
        const routes = Object.fromEntries(
          Array.from({ length: 8 }, (_, i) => [i === 0 ? "/" : `/r${i}`, { status: 302, headers: { location: `/r${i + 1}` } }])
        )
        const { result, sites } = yield* scrapeOne({ sites: { "far.test": { routes } } }, "far.test")
        expectFailure(result, "TooManyRedirects", { retryable: false, httpStatus: 302 })
        expect(paths(sites, "far.test").filter((p) => p !== "/robots.txt")).toEqual(["/", "/r1", "/r2", "/r3", "/r4", "/r5"])
      }))

    it.scopedLive("detects a loop", () =>
      Effect.gen(function* () {
        const { result } = yield* scrapeOne(
          {
            sites: {
              "loop.test": {
                routes: { "/": { status: 302, headers: { location: "/a" } }, "/a": { status: 301, headers: { location: "https://loop.test/" } } }
              }
            }
          },
          "loop.test"
        )
        expectFailure(result, "RedirectLoop", { retryable: false })
      }))

    it.scopedLive("refuses a hop to a blocked address without connecting (guard on)", () =>
      Effect.gen(function* () {
        const fixture: FixtureSitesOptions = {
          siteAddress: "93.184.216.34",
          addresses: { "metadata.test": ["169.254.169.254"] },
          sites: {
            "public.test": { routes: { "/": { status: 302, headers: { location: "http://metadata.test/latest/meta-data/" } } } },
            "literal.test": { routes: { "/": { status: 307, headers: { location: "http://10.0.0.1/admin" } } } },
            "fine.test": { routes: { "/": html(htmlPage({ body: "Public and fine." })) } }
          }
        }
        yield* withScraper(fixture, { allowPrivateNetworks: false }, (scraper, sites) =>
          Effect.gen(function* () {
            const fine = yield* scraper.scrape("fine.test")
            expect(fine.status).toBe("success")
            const viaName = yield* scraper.scrape("public.test")
            expectFailure(viaName, "BlockedAddress", { retryable: false, finalUrl: "http://metadata.test/latest/meta-data/" })
            expect(viaName.errorMessage).toContain("169.254.169.254")
            const viaLiteral = yield* scraper.scrape("literal.test")
            expectFailure(viaLiteral, "BlockedAddress", { finalUrl: "http://10.0.0.1/admin" })
            expect(sites.log().map((r) => r.host)).not.toContain("metadata.test")
          })
        )
      }))
  })

  it.scopedLive("refuses loopback, private, link-local and mapped addresses before connecting (guard on)", () =>
    withScraper(
      {
        sites: { "loopback.test": { routes: { "/": html(htmlPage({ body: "should never be read" })) } } },
        addresses: {
          "metadata.test": ["169.254.169.254"],
          "internal.test": ["10.0.0.1"],
          "cgnat.test": ["100.64.0.7"],
          "v6.test": ["::1"],
          "mapped.test": ["::ffff:192.168.0.1"],
          "mixed.test": ["93.184.216.34", "172.16.0.1"]
        }
      },
      { allowPrivateNetworks: false },
      (scraper, sites) =>
        Effect.gen(function* () {
          for (const domain of ["loopback.test", "metadata.test", "internal.test", "cgnat.test", "v6.test", "mapped.test", "mixed.test", "127.0.0.1", "localhost.test"]) {
            const result = yield* scraper.scrape(domain)
            if (domain === "localhost.test") expectFailure(result, "DnsFailure")
            else expectFailure(result, "BlockedAddress", { retryable: false })
          }
          expect(sites.requests()).toBe(0)
        })
    ))

  describe("HTTP failures and retries", () => {
    it.scopedLive("fails a 404 at once", () =>
      Effect.gen(function* () {
        const { result, sites } = yield* scrapeOne({ sites: { "gone.test": { routes: { "/": { status: 404, body: "nope" } } } } }, "gone.test")
        expectFailure(result, "HttpStatus", { httpStatus: 404, retryable: false, finalUrl: "https://gone.test/" })
        expect(paths(sites, "gone.test")).toEqual(["/robots.txt", "/"])
      }))

    it.scopedLive("retries a 500 and succeeds when the server recovers", () =>
      Effect.gen(function* () {
        const { result, sites } = yield* scrapeOne(
          { sites: { "flaky.test": { routes: { "/": [{ status: 500 }, html(htmlPage({ body: "Back up." }))] } } } },
          "flaky.test"
        )
        expect(result).toMatchObject({ status: "success", httpStatus: 200 })
        expect(paths(sites, "flaky.test").filter((p) => p === "/")).toHaveLength(2)
      }))

    it.scopedLive("gives up on a persistent 503 after SCRAPER_MAX_RETRIES, as a retryable failure", () =>
      Effect.gen(function* () {
        const { result, sites } = yield* scrapeOne({ sites: { "down.test": { routes: { "/": { status: 503 } } } } }, "down.test", { maxRetries: 2 })
        expectFailure(result, "HttpStatus", { httpStatus: 503, retryable: true })
        expect(paths(sites, "down.test").filter((p) => p === "/")).toHaveLength(3)
      }))

    it.scopedLive("waits as long as a 429's Retry-After asks", () =>
      Effect.gen(function* () {
        const { result, sites } = yield* scrapeOne(
          {
            sites: {
              "busy.test": {
                routes: { "/": [{ status: 429, headers: { "retry-after": "1" } }, html(htmlPage({ body: "Thanks for waiting." }))] }
              }
            }
          },
          "busy.test"
        )
        expect(result.status).toBe("success")
        const [first, second] = sites.log().filter((r) => r.host === "busy.test" && r.path === "/")
        expect(second!.at - first!.at).toBeGreaterThanOrEqual(950)
      }))

    it.scopedLive("does not retry when Retry-After is beyond the cap", () =>
      Effect.gen(function* () {
        const { result, sites } = yield* scrapeOne(
          { sites: { "later.test": { routes: { "/": { status: 429, headers: { "retry-after": "3600" } } } } } },
          "later.test"
        )
        expectFailure(result, "HttpStatus", { httpStatus: 429, retryable: true })
        expect(paths(sites, "later.test").filter((p) => p === "/")).toHaveLength(1)
      }))

    it.scopedLive("times out a response slower than SCRAPER_TIMEOUT, retrying it", () =>
      Effect.gen(function* () {
        const { result, sites } = yield* scrapeOne(
          { sites: { "slow.test": { routes: { "/": html("<p>late</p>", { delayMs: 10_000 }) } } } },
          "slow.test",
          { timeoutSeconds: 0.3, maxRetries: 1 }
        )
        expectFailure(result, "Timeout", { retryable: true })
        expect(paths(sites, "slow.test").filter((p) => p === "/")).toHaveLength(2)
      }))
  })

  describe("bodies", () => {
    it.scopedLive("stops reading an endless body at SCRAPER_MAX_BYTES", () =>
      Effect.gen(function* () {
        let closed = false
        const { result } = yield* scrapeOne(
          {
            sites: {
              "endless.test": {
                routes: {
                  "/": (_, response) => {
                    response.writeHead(200, { "content-type": "text/html" })
                    const chunk = Buffer.alloc(16 * 1024, "a")
                    const pump = () => {
                      while (!response.destroyed && response.write(chunk));
                      if (!response.destroyed) response.once("drain", pump)
                    }
                    response.on("close", () => void (closed = true))
                    pump()
                  }
                }
              }
            }
          },
          "endless.test",
          { maxBytes: 64 * 1024 }
        )
        expectFailure(result, "TooLarge", { retryable: false, httpStatus: 200 })
        yield* Effect.sleep("50 millis")
        expect(closed).toBe(true)
      }))

    it.scopedLive("refuses a declared Content-Length beyond the cap without reading it", () =>
      Effect.gen(function* () {
        const { result } = yield* scrapeOne(
          { sites: { "huge.test": { routes: { "/": html("x".repeat(5000)) } } } },
          "huge.test",
          { maxBytes: 2048 }
        )
        expectFailure(result, "TooLarge")
      }))

    it.scopedLive("fails a PDF homepage as NotHtml", () =>
      Effect.gen(function* () {
        const { result } = yield* scrapeOne(
          { sites: { "pdf.test": { routes: { "/": { status: 200, headers: { "content-type": "application/pdf" }, body: "%PDF-1.7" } } } } },
          "pdf.test"
        )
        expectFailure(result, "NotHtml", { retryable: false, httpStatus: 200 })
        expect(result.errorMessage).toContain("application/pdf")
      }))

    it.scopedLive("decodes ISO-8859-1, Shift_JIS and gzip pages", () =>
      withScraper(
        {
          sites: {
            "latin.test": {
              routes: {
                "/": {
                  headers: { "content-type": "text/html; charset=ISO-8859-1" },
                  body: iconv.encode(htmlPage({ title: "Société Générale", body: "Crème brûlée à Zürich – “Qualität”" }).replace(`<meta charset="utf-8">`, ""), "windows-1252")
                }
              }
            },
            "sjis.test": {
              routes: {
                "/": {
                  headers: { "content-type": "text/html" },
                  body: iconv.encode(htmlPage({ title: "株式会社テスト", body: "物流ロボットを開発しています。" }).replace("utf-8", "Shift_JIS"), "shift_jis")
                }
              }
            },
            "gzip.test": {
              routes: {
                "/": {
                  headers: { "content-type": "text/html; charset=utf-8", "content-encoding": "gzip" },
                  body: zlib.gzipSync(htmlPage({ body: "Compressed but readable." }))
                }
              }
            }
          }
        },
        {},
        (scraper) =>
          Effect.gen(function* () {
            const latin = yield* scraper.scrape("latin.test")
            expect(latin.text).toContain("Société Générale")
            expect(latin.text).toContain("Crème brûlée à Zürich – “Qualität”")
            const sjis = yield* scraper.scrape("sjis.test")
            expect(sjis.text).toContain("株式会社テスト")
            expect(sjis.text).toContain("物流ロボットを開発しています。")
            const gzip = yield* scraper.scrape("gzip.test")
            expect(gzip.text).toContain("Compressed but readable.")
          })
      ))
  })

  describe("robots.txt", () => {
    it.scopedLive("skips a homepage robots.txt disallows, for everyone or for our product token", () =>
      withScraper(
        {
          sites: {
            "private.test": { routes: { "/robots.txt": html("User-agent: *\nDisallow: /\n"), "/": html("<p>secret</p>") } },
            "nobots.test": {
              routes: { "/robots.txt": html("User-agent: Googlebot\nAllow: /\n\nUser-agent: CommonForge\nDisallow: /\n"), "/": html("<p>x</p>") }
            },
            "others.test": {
              routes: { "/robots.txt": html("User-agent: otherbot\nDisallow: /\n"), "/": html(htmlPage({ body: "Open to us." })) }
            }
          }
        },
        {},
        (scraper, sites) =>
          Effect.gen(function* () {
            for (const domain of ["private.test", "nobots.test"]) {
              const result = yield* scraper.scrape(domain)
              expect(result).toMatchObject({ status: "skipped", errorKind: "RobotsDisallowed", retryable: false, text: null })
              expect(paths(sites, domain)).toEqual(["/robots.txt"])
            }
            expect((yield* scraper.scrape("others.test")).status).toBe("success")
          })
      ))

    it.scopedLive("treats a robots.txt answering 5xx as disallowing everything for now", () =>
      Effect.gen(function* () {
        const { result, sites } = yield* scrapeOne(
          { sites: { "robots500.test": { routes: { "/robots.txt": { status: 500 }, "/": html("<p>x</p>") } } } },
          "robots500.test",
          { maxRetries: 1 }
        )
        expectFailure(result, "RobotsUnavailable", { retryable: true })
        expect(paths(sites, "robots500.test")).not.toContain("/")
      }))

    it.scopedLive("keeps Crawl-delay (up to the cap) between requests to one host", () =>
      Effect.gen(function* () {
        const { result, sites } = yield* scrapeOne(
          {
            sites: {
              "slowpoke.test": {
                routes: {
                  "/robots.txt": html("User-agent: *\nCrawl-delay: 60\n"),
                  "/": html(htmlPage({ body: "Home.", links: [["/about", "About"], ["/pricing", "Pricing"]] })),
                  "/about": html(htmlPage({ body: "About." })),
                  "/pricing": html(htmlPage({ body: "Pricing." }))
                }
              }
            }
          },
          "slowpoke.test"
        )
        expect(result.status).toBe("success")
        const times = sites.log().filter((r) => r.host === "slowpoke.test").map((r) => r.at)
        expect(times).toHaveLength(4)
        for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(280)
      }))
  })

  describe("fallbacks", () => {
    it.scopedLive("tries www. when the bare domain does not resolve", () =>
      Effect.gen(function* () {
        const { result } = yield* scrapeOne(
          { sites: { "www.wwwonly.test": { routes: { "/": html(htmlPage({ body: "Only on www." })) } } } },
          "wwwonly.test"
        )
        expect(result).toMatchObject({ status: "success", finalUrl: "https://www.wwwonly.test/" })
      }))

    it.scopedLive("falls back to http:// when https:// refuses connections", () =>
      Effect.gen(function* () {
        const { result } = yield* scrapeOne(
          { sites: { "plain.test": { https: false, routes: { "/": html(htmlPage({ body: "No TLS here." })) } } } },
          "plain.test"
        )
        expect(result).toMatchObject({ status: "success", finalUrl: "http://plain.test/" })
        expect(result.text).toContain("No TLS here.")
      }))

    it.scopedLive("reports a domain that resolves nowhere, naming what was tried", () =>
      Effect.gen(function* () {
        const { result } = yield* scrapeOne({}, "nowhere.test")
        expectFailure(result, "DnsFailure", { retryable: false, httpStatus: null })
        expect(result.errorMessage).toContain("http://www.nowhere.test/")
      }))

    it.scopedLive("reports a name that is not a host name", () =>
      Effect.gen(function* () {
        const { result } = yield* scrapeOne({}, "acme.test/about")
        expectFailure(result, "InvalidDomain")
      }))
  })

  describe("limits", () => {
    it.scopedLive("keeps one request at a time per host, and SCRAPER_CONCURRENCY overall, however callers fan out", () =>
      withScraper(
        {
          latencyMs: 30,
          sites: (host) =>
            host.endsWith(".test") ? { routes: { "/": html(htmlPage({ body: `Site ${host}`, links: [["/about", "About"]] })), "/about": html("<p>about</p>") } } : undefined
        },
        { concurrency: 3 },
        (scraper, sites) =>
          Effect.gen(function* () {
            const domains = Array.from({ length: 12 }, (_, i) => `site${i}.test`)
            const results = yield* Effect.forEach([...domains, "site0.test", "site0.test"], (d) => scraper.scrape(d), { concurrency: "unbounded" })
            expect(results.every((r) => r.status === "success")).toBe(true)
            expect(sites.peakInFlight()).toBe(3)
            for (const domain of domains) expect(sites.peakInFlight(domain)).toBe(1)
          })
      ))
  })

  describe("hostile sites", () => {
    it.scopedLive("reads the beginning of a robots.txt larger than SCRAPER_MAX_BYTES, never allowing all for its size", () =>
      Effect.gen(function* () {
        const huge = "User-agent: *\nDisallow: /\n" + "# padding to ten megabytes\n".repeat(400_000)
        const { result, sites } = yield* scrapeOne(
          { sites: { "bigrobots.test": { routes: { "/robots.txt": html(huge, { headers: { "content-type": "text/plain" } }), "/": html("<p>x</p>"), "/about": html("<p>y</p>") } } } },
          "bigrobots.test"
        )
        expect(huge.length).toBeGreaterThan(10_000_000)
        expect(result).toMatchObject({ status: "skipped", errorKind: "RobotsDisallowed", retryable: false })
        expect(paths(sites, "bigrobots.test")).toEqual(["/robots.txt"])
      }))

    it.scopedLive("ignores what a robots.txt says past its first 500 KiB", () =>
      Effect.gen(function* () {
        const late = "User-agent: *\nAllow: /\n" + "#".repeat(600 * 1024) + "\nUser-agent: *\nDisallow: /\n"
        const { result } = yield* scrapeOne(
          { sites: { "late.test": { routes: { "/robots.txt": html(late), "/": html(htmlPage({ body: "Open." })) } } } },
          "late.test",
          { maxBytes: 2_000_000, extraPages: 0 }
        )
        expect(result.status).toBe("success")
      }))

    it.scopedLive("takes a robots.txt that times out as disallowing everything for this run, and a 404 as allowing", () =>
      Effect.gen(function* () {
        const { result, sites } = yield* scrapeOne(
          {
            sites: {
              "slowrobots.test": { routes: { "/robots.txt": html("User-agent: *\nAllow: /\n", { delayMs: 10_000 }), "/": html("<p>x</p>") } }
            }
          },
          "slowrobots.test",
          { timeoutSeconds: 0.3, maxRetries: 0 }
        )
        expectFailure(result, "RobotsUnavailable", { retryable: true })
        expect(paths(sites, "slowrobots.test")).toEqual(["/robots.txt"])
        const open = yield* scrapeOne({ sites: { "norobots.test": { routes: { "/": html(htmlPage({ body: "No robots.txt here." })) } } } }, "norobots.test")
        expect(open.result.status).toBe("success")
        expect(paths(open.sites, "norobots.test")).toEqual(["/robots.txt", "/"])
      }))

    it.scopedLive("classes a 200 KB response header as HeaderTooLarge, not retried", () =>
      Effect.gen(function* () {
        const { result, sites } = yield* scrapeOne(
          { sites: { "header.test": { routes: { "/": html("<p>x</p>", { headers: { "x-padding": "a".repeat(200_000) } }) } } } },
          "header.test"
        )
        expectFailure(result, "HeaderTooLarge", { retryable: false })
        expect(paths(sites, "header.test").filter((p) => p === "/")).toHaveLength(1)
      }))

    it.scopedLive("keeps no U+0000 or other unstorable character in the text or the error message", () =>
      Effect.gen(function* () {
        const { result } = yield* scrapeOne(
          {
            sites: {
              "nul.test": { routes: { "/": html("<main><p>Logistics SaaS\u0000platform with APIs.</p></main>") } }
            }
          },
          "nul.test"
        )
        expect(result.status).toBe("success")
        expect(result.text).toContain("Logistics SaaS")
        expect(result.text).toContain("platform with APIs.")
        expect(result.text).not.toContain("\u0000")
      }))

    it.scopedLive("records a page past SCRAPER_PAGE_BUDGET_MS as ExtractionTimeout, not retried, and goes on with the others", () =>
      withScraper(
        {
          sites: {
            "heavy.test": { routes: { "/": html(`<main>${"<div><span>".repeat(100_000)}deep${"</span></div>".repeat(100_000)}</main>`) } },
            "light.test": { routes: { "/": html(htmlPage({ body: "Light and quick." })) } }
          }
        },
        { pageBudgetMs: 100, pageWorkers: 1, maxBytes: 5_000_000 },
        (scraper, sites) =>
          Effect.gen(function* () {
            const [heavy, light] = yield* Effect.forEach(["heavy.test", "light.test"], (d) => scraper.scrape(d), { concurrency: "unbounded" })
            expectFailure(heavy!, "ExtractionTimeout", { retryable: false })
            expect(paths(sites, "heavy.test").filter((p) => p === "/")).toHaveLength(1)
            expect(light).toMatchObject({ status: "success" })
            expect(light!.text).toContain("Light and quick.")
          })
      ))
  })

  describe("per-host state", () => {
    it.scopedLive("forgets a host once no company uses it: nothing held after the run, however many domains", () =>
      withScraper(
        {
          sites: (host) =>
            host.endsWith(".test")
              ? { routes: { "/robots.txt": html("User-agent: *\nAllow: /\n"), "/": html(htmlPage({ body: `Site ${host}`, links: [["/about", "About"]] })), "/about": html("<p>about</p>") } }
              : undefined
        },
        { concurrency: 4 },
        (scraper) =>
          Effect.gen(function* () {
            const domains = Array.from({ length: 60 }, (_, i) => `host${i}.test`)
            const results = yield* Effect.forEach(domains, (d) => scraper.scrape(d), { concurrency: 20 })
            expect(results.every((r) => r.status === "success")).toBe(true)
            expect(yield* scraper.held).toMatchObject({ hosts: 0, pinnedHosts: 0 })
            expect((yield* scraper.held).pageWorkers).toBeLessThanOrEqual(2)
          })
      ))

    it.scopedLive("keeps a host's Crawl-delay for the next company on it, then forgets it", () =>
      withScraper(
        {
          sites: {
            "shared.test": { routes: { "/robots.txt": html("User-agent: *\nCrawl-delay: 60\n"), "/": html(htmlPage({ body: "Shared host." })) } },
            "a.test": { routes: { "/": { status: 301, headers: { location: "https://shared.test/" } } } }
          }
        },
        { extraPages: 0 },
        (scraper, sites) =>
          Effect.gen(function* () {
            expect((yield* scraper.scrape("shared.test")).status).toBe("success")
            expect((yield* scraper.held).hosts).toBe(1)
            expect((yield* scraper.scrape("a.test")).status).toBe("success")
            const times = sites.log().filter((r) => r.host === "shared.test" && r.path === "/").map((r) => r.at)
            expect(times).toHaveLength(2)
            expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(280)
            yield* Effect.sleep("400 millis")
            expect(yield* scraper.held).toMatchObject({ hosts: 0, pinnedHosts: 0 })
          })
      ))
  })

  describe("name resolution", () => {
    it.scopedLive("resolves before taking a request slot: a hanging lookup holds none", () =>
      Effect.gen(function* () {
        const sites = yield* startFixtureSites({
          sites: (host) => (host.startsWith("fast") ? { routes: { "/": html(htmlPage({ body: `Fast ${host}` })) } } : undefined)
        })
        const released = yield* Deferred.make<void>()
        const resolver = {
          resolve: (host: string) =>
            host.startsWith("stuck")
              ? Effect.zipRight(Deferred.await(released), Effect.fail(new ScrapeError({ reason: "DnsFailure", message: `${host} does not exist`, dns: "NXDOMAIN" })))
              : Effect.succeed(["127.0.0.1"])
        }
        const network = Layer.merge(Layer.succeed(HostResolver, resolver), Layer.succeed(SiteAddressing, sites.addressing))
        const layer = scraperLayer({ ...settings, concurrency: 1, extraPages: 0 }).pipe(Layer.provide(network), Layer.provide(fastTuning))
        yield* Effect.gen(function* () {
          const scraper = yield* Scraper
          const stuck = yield* Effect.fork(Effect.forEach(["stuck1.test", "stuck2.test"], (d) => scraper.scrape(d), { concurrency: "unbounded" }))
          const fast = yield* Effect.forEach(["fast1.test", "fast2.test", "fast3.test"], (d) => scraper.scrape(d), { concurrency: "unbounded" })
          expect(fast.map((r) => r.status)).toEqual(["success", "success", "success"])
          yield* Deferred.succeed(released, undefined)
          const failed = yield* Fiber.join(stuck)
          expect(failed.map((r) => r.errorKind)).toEqual(["DnsFailure", "DnsFailure"])
        }).pipe(Effect.provide(layer))
      }))

    it.scopedLive("asks SCRAPER_DNS_SERVERS, once per dead domain: no www. below a name that does not exist", () =>
      Effect.gen(function* () {
        const dns = yield* startFakeDnsServer((name) => (name.startsWith("broken") ? { rcode: "SERVFAIL" } : { rcode: "NXDOMAIN" }))
        const env = { SCRAPER_DNS_SERVERS: dns.address, SCRAPER_TIMEOUT: "2", SCRAPER_DNS_TIMEOUT: "2" }
        const results = yield* Effect.flatMap(Scraper, (scraper) =>
          Effect.forEach(["dead1.example", "dead2.example", "broken.example"], (d) => scraper.scrape(d), { concurrency: "unbounded" })
        ).pipe(Effect.provide(Scraper.Default.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))))))
        for (const result of results) expectFailure(result, "DnsFailure", { retryable: false, httpStatus: null })
        expect(results[0]!.errorMessage).toContain("does not exist (NXDOMAIN)")
        expect(results[2]!.errorMessage).toContain("SERVFAIL")
        const asked = dns.queries().filter((q) => q.type === "A").map((q) => q.name).sort()
        expect(asked).toEqual(["broken.example", "dead1.example", "dead2.example"])
      }))

    it.scopedLive("fails a company whose name lookup runs out of time as Timeout, not as robots.txt unavailable", () =>
      Effect.gen(function* () {
        const sites = yield* startFixtureSites({})
        const resolver = {
          resolve: (host: string) => Effect.fail(new ScrapeError({ reason: "Timeout", message: `resolving ${host} took too long`, dns: "TIMEOUT" }))
        }
        const network = Layer.merge(Layer.succeed(HostResolver, resolver), Layer.succeed(SiteAddressing, sites.addressing))
        const result = yield* Effect.flatMap(Scraper, (scraper) => scraper.scrape("slowdns.test")).pipe(
          Effect.provide(scraperLayer({ ...settings, maxRetries: 0 }).pipe(Layer.provide(network), Layer.provide(fastTuning)))
        )
        expectFailure(result, "Timeout", { retryable: true })
        expect(sites.log()).toEqual([])
      }))

    it.scopedLive("still tries www. when the bare name exists without an address", () =>
      Effect.gen(function* () {
        const sites = yield* startFixtureSites({ sites: { "www.apex.test": { routes: { "/": html(htmlPage({ body: "On www." })) } } } })
        const resolver = {
          resolve: (host: string) =>
            host === "www.apex.test"
              ? Effect.succeed(["127.0.0.1"])
              : Effect.fail(new ScrapeError({ reason: "DnsFailure", message: `${host} has no address (NODATA)`, dns: "NODATA" }))
        }
        const network = Layer.merge(Layer.succeed(HostResolver, resolver), Layer.succeed(SiteAddressing, sites.addressing))
        const result = yield* Effect.flatMap(Scraper, (scraper) => scraper.scrape("apex.test")).pipe(
          Effect.provide(scraperLayer(settings).pipe(Layer.provide(network), Layer.provide(fastTuning)))
        )
        expect(result).toMatchObject({ status: "success", finalUrl: "https://www.apex.test/" })
      }))
  })

  describe("SCRAPER_CONNECT_TO (Scraper.Default, as the CLI builds it)", () => {
    /** Scraper.Default on nothing but configuration, as the pipeline gets it. */
    const withConfigured = <A>(env: Record<string, string>, body: (scraper: Scraper) => Effect.Effect<A>) =>
      Effect.flatMap(Scraper, body).pipe(
        Effect.provide(Scraper.Default.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))))
      )

    it.scopedLive("sends every site to one server by Host header, skipping DNS, for every scheme and page", () =>
      Effect.gen(function* () {
        const sites = yield* startGeneratedSites({ count: 3, latencyMs: 5 })
        expect(sites.domains).toEqual(["site-0001.example", "site-0002.example", "site-0003.example"])
        expect(sites.env).toEqual({ SCRAPER_CONNECT_TO: `127.0.0.1:${sites.port}`, SCRAPER_ALLOW_PRIVATE_NETWORKS: "true" })
        const results = yield* withConfigured({ ...sites.env, SCRAPER_CONCURRENCY: "2" }, (scraper) =>
          Effect.forEach([...sites.domains, "unknown.example"], (d) => scraper.scrape(d), { concurrency: "unbounded" })
        )
        for (const [index, result] of results.slice(0, 3).entries()) {
          const domain = sites.domains[index]!
          expect(result).toMatchObject({
            domain,
            status: "success",
            finalUrl: `https://${domain}/`,
            pages: [
              { url: `https://${domain}/`, httpStatus: 200 },
              { url: `https://${domain}/about`, httpStatus: 200 },
              { url: `https://${domain}/platform`, httpStatus: 200 }
            ]
          })
          expect(result.text).toContain(`Company ${index + 1} was founded in`)
          expect(result.text).not.toContain("We use cookies")
        }
        // Not a DNS failure: the name is never resolved, the server answers 404 for a host it does not know.
        expectFailure(results[3]!, "HttpStatus", { httpStatus: 404, finalUrl: "https://unknown.example/" })
        expect(sites.requests()).toBe(3 * 4 + 2)
        expect(sites.peakPerHost()).toBe(1)
        expect(sites.peakInFlight()).toBeLessThanOrEqual(2)
      }))

    it.scopedLive("applies the address guard to the target, not to the site's name", () =>
      Effect.gen(function* () {
        const sites = yield* startGeneratedSites({ count: 1 })
        const result = yield* withConfigured({ SCRAPER_CONNECT_TO: sites.connectTo }, (scraper) => scraper.scrape(sites.domains[0]!))
        expectFailure(result, "BlockedAddress", { retryable: false })
        expect(result.errorMessage).toContain("127.0.0.1")
        expect(sites.requests()).toBe(0)
      }))

    it.scopedLive("dials a named target at the addresses the guard checked", () =>
      Effect.gen(function* () {
        const sites = yield* startGeneratedSites({ count: 1 })
        const result = yield* withConfigured(
          { SCRAPER_CONNECT_TO: `localhost:${sites.port}`, SCRAPER_ALLOW_PRIVATE_NETWORKS: "true", SCRAPER_EXTRA_PAGES: "0" },
          (scraper) => scraper.scrape(sites.domains[0]!)
        )
        expect(result).toMatchObject({ status: "success", finalUrl: `https://${sites.domains[0]}/` })
        expect(sites.requests()).toBe(2)
      }))

    it.effect("reads the resolver and page worker settings, with their defaults", () =>
      Effect.gen(function* () {
        const read = (env: Record<string, string>) => Effect.either(Effect.withConfigProvider(ScraperConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))
        const defaults = yield* read({ SCRAPER_CONCURRENCY: "7" })
        expect(defaults._tag === "Right" && defaults.right).toMatchObject({ dnsServers: [], dnsConcurrency: 7, dnsTimeoutSeconds: 5, pageBudgetMs: 2000 })
        expect(defaults._tag === "Right" && defaults.right.pageWorkers).toBeGreaterThanOrEqual(2)
        const set = yield* read({ SCRAPER_DNS_SERVERS: "127.0.0.1:5353, [::1]:53", SCRAPER_DNS_CONCURRENCY: "3", SCRAPER_PAGE_WORKERS: "1", SCRAPER_PAGE_BUDGET_MS: "500" })
        expect(set._tag === "Right" && set.right).toMatchObject({ dnsServers: ["127.0.0.1:5353", "[::1]:53"], dnsConcurrency: 3, pageWorkers: 1, pageBudgetMs: 500 })
        const bad = yield* read({ SCRAPER_DNS_SERVERS: "dns.example.com" })
        expect(bad._tag === "Left" && String(bad.left)).toContain("SCRAPER_DNS_SERVERS")
      }))

    it("reads HOST:PORT", () => {
      expect(parseConnectTo("127.0.0.1:8080")).toEqual({ host: "127.0.0.1", port: 8080 })
      expect(parseConnectTo(" Fixture.Local:80 ")).toEqual({ host: "fixture.local", port: 80 })
      expect(parseConnectTo("[::1]:3000")).toEqual({ host: "::1", port: 3000 })
      for (const bad of ["127.0.0.1", "http://127.0.0.1:80", "127.0.0.1:0", "127.0.0.1:70000", "::1:80", "[x]:80", "a b:80", ""]) {
        expect(parseConnectTo(bad), bad).toBeUndefined()
      }
    })
  })
})
