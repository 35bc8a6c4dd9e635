import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import type { ScrapeResult } from "../src/schema/ScrapeResult.js"
import { ScrapeStore } from "../src/stages/scrape/ScrapeStore.js"
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
