import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import { SqlBatching } from "../src/db/SqlBatching.js"
import type { Enrichment } from "../src/schema/Enrichment.js"
import type { ScrapeResult } from "../src/schema/ScrapeResult.js"
import { type CachedEnrichment, EnrichmentCache } from "../src/stages/enrich/EnrichmentCache.js"
import { ScrapeStore } from "../src/stages/scrape/ScrapeStore.js"
import { makeStatementLog } from "./support/statementLog.js"
import { TestDatabaseLive, testDatabaseKind } from "./support/TestDatabase.js"

const DAY_MS = 86_400_000
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS)

const success = (domain: string, fetchedAt: Date, text = `Welcome to ${domain}.`): ScrapeResult => ({
  domain,
  status: "success",
  errorKind: null,
  errorMessage: null,
  retryable: false,
  finalUrl: `https://${domain}/`,
  httpStatus: 200,
  fetchedAt,
  contentHash: "ab".repeat(32),
  text,
  pages: [{ url: `https://${domain}/`, httpStatus: 200 }]
})

const failed = (domain: string, errorKind: string, httpStatus: number | null, retryable: boolean): ScrapeResult => ({
  ...success(domain, daysAgo(1)),
  status: "failed",
  errorKind,
  errorMessage: `${errorKind} at https://${domain}/`,
  retryable,
  httpStatus,
  contentHash: null,
  text: null,
  pages: []
})

const output: Enrichment = {
  icpFitScore: 70,
  segment: "Mid-Market",
  primaryUseCase: "Automated reconciliation",
  riskFlags: [],
  personalizedPitch: "Automate your reconciliation with CommonForge.",
  scoreRationale: [
    { reason: "Payments platform.", quote: null, verified: false },
    { reason: "Mid-sized team.", quote: null, verified: false }
  ],
  confidence: 0.6
}

const entry = (inputHash: string, inputTokens = 100): CachedEnrichment => ({
  inputHash,
  domain: `${inputHash}.example`,
  provider: "heuristic",
  model: "heuristic-v2",
  promptVersion: "p1",
  output,
  inputTokens,
  outputTokens: 50,
  latencyMs: 3
})

/** Batches that start by size alone (the window is far longer than any test), or one statement per call. */
const bySize = (maxBatchSize: number) => Layer.succeed(SqlBatching, { window: "1 hour", maxBatchSize })
const oneByOne = bySize(1)

/**
 * The stores built on the suite's database with the given batching, and a log of the statements they run:
 * the log's tracer is installed before they are built, as their batches run on fibers of that runtime.
 */
const withStores = <A, E>(
  batching: Layer.Layer<never> | Layer.Layer<SqlBatching>,
  body: (
    stores: { scrapes: ScrapeStore; cache: typeof EnrichmentCache.Service },
    log: Effect.Effect.Success<typeof makeStatementLog>
  ) => Effect.Effect<A, E, SqlClient.SqlClient>
) =>
  Effect.gen(function* () {
    const log = yield* makeStatementLog
    return yield* Effect.gen(function* () {
      const scrapes = yield* ScrapeStore
      const cache = yield* EnrichmentCache
      return yield* body({ scrapes, cache }, log)
    }).pipe(
      Effect.provide(Layer.merge(ScrapeStore.Default, EnrichmentCache.layerSql).pipe(Layer.provide(batching))),
      Effect.withTracer(log.tracer)
    )
  })

const concurrently = <A, B, E, R>(inputs: ReadonlyArray<A>, f: (a: A) => Effect.Effect<B, E, R>) =>
  Effect.forEach(inputs, (a) => Effect.exit(f(a)), { concurrency: "unbounded" })

class RolledBack {
  constructor(readonly seen: Option.Option<ScrapeResult>) {}
}

const SCRAPE_READ = /FROM scrapes WHERE/
const SCRAPE_WRITE = /INSERT INTO scrapes/
const CACHE_READ = /FROM enrichments WHERE/
const CACHE_WRITE = /INSERT INTO enrichments/

describe(`ScrapeStore and EnrichmentCache batching (${testDatabaseKind})`, () => {
  it.layer(TestDatabaseLive(), { timeout: 120_000 })((it) => {
    it.effect("concurrent fresh lookups share one statement and answer as each would alone, max age included", () =>
      Effect.gen(function* () {
        const recent = success("recent.test", daysAgo(2))
        yield* withStores(oneByOne, ({ scrapes }) =>
          Effect.forEach(
            [
              recent,
              success("old.test", daysAgo(10)),
              failed("gone.test", "HttpStatus", 404, false),
              failed("busy.test", "HttpStatus", 503, true),
              { ...failed("robots.test", "RobotsDisallowed", null, false), status: "skipped" as const }
            ],
            scrapes.save
          )
        )
        // Duplicates, different max ages for one domain, a domain never scraped: all in one batch.
        const lookups: ReadonlyArray<readonly [string, number]> = [
          ["recent.test", 7],
          ["recent.test", 1],
          ["old.test", 7],
          ["old.test", 30],
          ["old.test", Number.POSITIVE_INFINITY],
          ["gone.test", 7],
          ["busy.test", 7],
          ["robots.test", 7],
          ["unknown.test", 7],
          ["recent.test", 7]
        ]
        const fresh = (scrapes: ScrapeStore) => ([domain, maxAge]: readonly [string, number]) => scrapes.fresh(domain, maxAge)

        const alone = yield* withStores(oneByOne, ({ scrapes }, log) =>
          Effect.gen(function* () {
            const results = yield* Effect.forEach(lookups, fresh(scrapes))
            expect(log.count(SCRAPE_READ)).toBe(lookups.length)
            return results
          })
        )
        expect(alone.map(Option.map((r) => r.domain))).toEqual(
          ["recent.test", null, null, "old.test", "old.test", "gone.test", null, "robots.test", null, "recent.test"].map(Option.fromNullable)
        )
        expect(alone[0]).toEqual(Option.some(recent))

        const together = yield* withStores(bySize(lookups.length), ({ scrapes }, log) =>
          Effect.gen(function* () {
            const exits = yield* concurrently(lookups, fresh(scrapes))
            expect(log.count(SCRAPE_READ)).toBe(1)
            return exits.map(Exit.getOrElse(() => expect.unreachable("a lookup failed")))
          })
        )
        expect(together).toEqual(alone)
      }))

    it.effect("a max age of zero or less reads nothing", () =>
      withStores(oneByOne, ({ scrapes }, log) =>
        Effect.gen(function* () {
          yield* scrapes.save(success("zero.test", new Date()))
          log.clear()
          expect(yield* scrapes.fresh("zero.test", 0)).toEqual(Option.none())
          expect(yield* scrapes.fresh("zero.test", -1)).toEqual(Option.none())
          expect(log.count(SCRAPE_READ)).toBe(0)
        })
      ))

    it.effect("concurrent saves are one statement; of two saves of one domain, the later is kept", () =>
      withStores(bySize(4), ({ scrapes }, log) =>
        Effect.gen(function* () {
          const first = success("twice.test", daysAgo(3), "first")
          const later = failed("twice.test", "HttpStatus", 404, false)
          const others = [success("one.test", daysAgo(1)), success("two.test", daysAgo(1), "Société \u0000 株式会社")]
          const exits = yield* concurrently([first, ...others, later], scrapes.save)
          expect(exits.every(Exit.isSuccess)).toBe(true)
          expect(log.count(SCRAPE_WRITE)).toBe(1)
          const stored = yield* withStores(oneByOne, (s) => Effect.forEach(["twice.test", "one.test", "two.test"], (d) => s.scrapes.fresh(d, 7)))
          expect(stored).toEqual([Option.some(later), Option.some(others[0]), Option.some({ ...others[1]!, text: "Société  株式会社" })])
        })
      ))

    it.effect("a scrape the database refuses fails its own save only; the others of its batch are stored", () =>
      withStores(bySize(4), ({ scrapes }, log) =>
        Effect.gen(function* () {
          // http_status is an integer column: this one is out of its range (SQLSTATE 22003).
          const bad = { ...success("bad.test", daysAgo(1)), httpStatus: 3_000_000_000 }
          const good = ["a.test", "b.test", "c.test"].map((d) => success(d, daysAgo(1)))
          const exits = yield* concurrently([good[0]!, bad, good[1]!, good[2]!], scrapes.save)
          expect(exits.map(Exit.isSuccess)).toEqual([true, false, true, true])
          const error = Exit.isFailure(exits[1]!) ? exits[1].cause : undefined
          expect(error?._tag === "Fail" && error.error._tag).toBe("SqlError")
          // The batch's statement, then one per save.
          expect(log.count(SCRAPE_WRITE)).toBe(5)
          expect(log.failed(SCRAPE_WRITE)).toBe(2)
          const stored = yield* withStores(oneByOne, (s) => Effect.forEach(["a.test", "bad.test", "b.test", "c.test"], (d) => s.scrapes.fresh(d, 7)))
          expect(stored.map(Option.isSome)).toEqual([true, false, true, true])
        })
      ))

    it.effect("with the default window, concurrent calls still share statements", () =>
      withStores(Layer.empty, ({ scrapes }, log) =>
        Effect.gen(function* () {
          const domains = Array.from({ length: 20 }, (_, i) => `window-${i}.test`)
          yield* concurrently(domains.map((d) => success(d, daysAgo(1))), scrapes.save)
          const found = yield* concurrently(domains, (d) => scrapes.fresh(d, 7))
          expect(found.map((e) => Exit.isSuccess(e) && Option.isSome(e.value))).toEqual(domains.map(() => true))
          expect(log.count(SCRAPE_WRITE)).toBeLessThan(domains.length)
          expect(log.count(SCRAPE_READ)).toBeLessThan(domains.length)
        })
      ))

    it.effect("inside a transaction the stores read and write on its connection, and roll back with it", () =>
      withStores(Layer.empty, ({ scrapes }) =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const inside = yield* sql
            .withTransaction(
              Effect.gen(function* () {
                yield* scrapes.save(success("rolled-back.test", daysAgo(1)))
                const seen = yield* scrapes.fresh("rolled-back.test", 7)
                return yield* Effect.fail(new RolledBack(seen))
              })
            )
            .pipe(Effect.flip)
          expect(inside instanceof RolledBack && Option.isSome(inside.seen)).toBe(true)
          const [row] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM scrapes WHERE domain = 'rolled-back.test'`
          expect(row!.n).toBe(0)
        })
      ))

    it.effect("concurrent cache lookups share one statement; a row of an older shape is a miss for its own call", () =>
      Effect.gen(function* () {
        yield* withStores(oneByOne, ({ cache }) => Effect.forEach(["h1", "h2", "h3"], (h) => cache.put(entry(h))))
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO enrichments (input_hash, domain, provider, model, prompt_version, output)
          VALUES ('h-old', 'old.example', 'heuristic', 'heuristic-v1', 'p0', ${JSON.stringify({ score: 5 })})`
        const hashes = ["h1", "h-old", "h2", "h-missing", "h3", "h1"]
        const alone = yield* withStores(oneByOne, ({ cache }) => Effect.forEach(hashes, cache.get))
        const together = yield* withStores(bySize(hashes.length), ({ cache }, log) =>
          Effect.gen(function* () {
            const exits = yield* concurrently(hashes, cache.get)
            expect(log.count(CACHE_READ)).toBe(1)
            return exits.map(Exit.getOrElse(() => expect.unreachable("a lookup failed")))
          })
        )
        expect(together).toEqual(alone)
        expect(together).toEqual([entry("h1"), null, entry("h2"), null, entry("h3"), entry("h1")].map(Option.fromNullable))
      }))

    it.effect("cache writes are not held back to share a statement; an entry the database refuses fails its own put only", () =>
      withStores(bySize(3), ({ cache }, log) =>
        Effect.gen(function* () {
          const exits = yield* concurrently([entry("p1"), entry("p2", 3_000_000_000), entry("p3")], cache.put)
          expect(exits.map(Exit.isSuccess)).toEqual([true, false, true])
          expect(log.count(CACHE_WRITE)).toBe(3)
          const stored = yield* withStores(oneByOne, (s) => Effect.forEach(["p1", "p2", "p3"], s.cache.get))
          expect(stored).toEqual([entry("p1"), null, entry("p3")].map(Option.fromNullable))
        })
      ))
  })
})
