import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, TestServices } from "effect"
import type { ScrapeResult } from "../src/schema/ScrapeResult.js"
import { Scraper, scraperLayer } from "../src/stages/scrape/Scraper.js"
import { ScrapeStore } from "../src/stages/scrape/ScrapeStore.js"
import { html, startFixtureSites } from "./support/fixtureSites.js"
import { TestDatabaseLive, testDatabaseKind } from "./support/TestDatabase.js"

const DAY_MS = 86_400_000
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS)

const success = (domain: string, fetchedAt: Date): ScrapeResult => ({
  domain,
  status: "success",
  errorKind: null,
  errorMessage: null,
  retryable: false,
  finalUrl: `https://${domain}/`,
  httpStatus: 200,
  fetchedAt,
  contentHash: "ab".repeat(32),
  text: `Welcome to ${domain}. Société, 株式会社.`,
  pages: [
    { url: `https://${domain}/`, httpStatus: 200 },
    { url: `https://${domain}/about`, httpStatus: 200 }
  ]
})

const failed = (domain: string, errorKind: string, httpStatus: number | null, retryable: boolean): ScrapeResult => ({
  domain,
  status: "failed",
  errorKind,
  errorMessage: `${errorKind} at https://${domain}/`,
  retryable,
  finalUrl: `https://${domain}/`,
  httpStatus,
  fetchedAt: daysAgo(1),
  contentHash: null,
  text: null,
  pages: []
})

const layer = ScrapeStore.Default.pipe(Layer.provideMerge(TestDatabaseLive()))

describe(`ScrapeStore (${testDatabaseKind})`, () => {
  it.layer(layer, { timeout: 120_000 })((it) => {
    it.effect("stores a page whose text held U+0000, and remote text with control characters, as readable text", () =>
      Effect.gen(function* () {
        const store = yield* ScrapeStore
        // The fixture server and the scraper on the real clock; the store on the test's database.
        const scraped = yield* TestServices.provideLive(Effect.scoped(Effect.gen(function* () {
          const sites = yield* startFixtureSites({
            sites: { "nul.test": { routes: { "/": html("<main><p>Logistics SaaS\u0000platform with APIs.</p></main>") } } }
          })
          return yield* Effect.flatMap(Scraper, (scraper) => scraper.scrape("nul.test")).pipe(Effect.provide(
            scraperLayer({
              timeoutSeconds: 5, maxRetries: 0, userAgent: "CommonForge Lead Scorer/1.0", maxTextLength: 3000, concurrency: 2,
              allowPrivateNetworks: true, maxBytes: 200_000, extraPages: 0, maxAgeDays: 7, connectTo: null, dnsServers: [],
              dnsConcurrency: 2, dnsTimeoutSeconds: 2, pageWorkers: 1, pageBudgetMs: 60_000
            }).pipe(Layer.provide(sites.layer))
          ))
        })))
        expect(scraped.status).toBe("success")
        expect(scraped.text).not.toContain("\u0000")
        yield* store.save(scraped)
        const stored = Option.getOrThrow(yield* store.fresh("nul.test", 7))
        expect(stored.text).toBe(scraped.text)
        expect(stored.text).toContain("platform with APIs.")

        // Whatever a caller hands in, the store writes what Postgres can keep.
        const hostile = { ...failed("hostile.test", "InvalidRedirect", 302, false), errorMessage: "redirects to 'x\u0000y'" }
        yield* store.save(hostile)
        expect(Option.getOrThrow(yield* store.fresh("hostile.test", 7)).errorMessage).toBe("redirects to 'xy'")
      }))

    it.effect("gives back a saved result within the max age, and nothing beyond it", () =>
      Effect.gen(function* () {
        const store = yield* ScrapeStore
        const recent = success("recent.test", daysAgo(2))
        yield* store.save(recent)
        expect(yield* store.fresh("recent.test", 7)).toEqual(Option.some(recent))

        yield* store.save(success("old.test", daysAgo(10)))
        expect(yield* store.fresh("old.test", 7)).toEqual(Option.none())
        expect(Option.isSome(yield* store.fresh("old.test", 30))).toBe(true)
        expect(Option.isSome(yield* store.fresh("old.test", Number.POSITIVE_INFINITY))).toBe(true)
        expect(yield* store.fresh("recent.test", 0)).toEqual(Option.none())
        expect(yield* store.fresh("unknown.test", 7)).toEqual(Option.none())
      }))

    it.effect("counts robots skips and permanent failures as fresh, transient failures not", () =>
      Effect.gen(function* () {
        const store = yield* ScrapeStore
        const skipped: ScrapeResult = { ...failed("robots.test", "RobotsDisallowed", null, false), status: "skipped" }
        const cases: ReadonlyArray<[ScrapeResult, boolean]> = [
          [skipped, true],
          [failed("gone.test", "HttpStatus", 404, false), true],
          [failed("nodns.test", "DnsFailure", null, false), true],
          [failed("down.test", "HttpStatus", 503, true), false],
          [failed("busy.test", "HttpStatus", 429, true), false],
          [failed("slow.test", "Timeout", null, true), false],
          [failed("reset.test", "ConnectionReset", null, true), false]
        ]
        for (const [result, fresh] of cases) {
          yield* store.save(result)
          const found = yield* store.fresh(result.domain, 7)
          expect(Option.isSome(found), result.domain).toBe(fresh)
          if (Option.isSome(found)) expect(found.value).toEqual(result)
        }
      }))

    it.effect("keeps one row per domain, the latest fetch", () =>
      Effect.gen(function* () {
        const store = yield* ScrapeStore
        const sql = yield* SqlClient.SqlClient
        yield* store.save(success("again.test", daysAgo(3)))
        const latest = failed("again.test", "HttpStatus", 404, false)
        yield* store.save(latest)
        expect(yield* store.fresh("again.test", 7)).toEqual(Option.some(latest))
        const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM scrapes WHERE domain = 'again.test'`
        expect(rows[0]!.n).toBe(1)
        const [row] = yield* sql<{ pages: unknown; text: string | null }>`SELECT pages, text FROM scrapes WHERE domain = 'again.test'`
        expect(row).toEqual({ pages: [], text: null })
      }))
  })
})
