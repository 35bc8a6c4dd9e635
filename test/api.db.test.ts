import { describe, expect, layer } from "@effect/vitest"
import { parse as parseCsv } from "csv-parse/sync"
import { Effect, Layer, Schema } from "effect"
import { CompaniesVersion } from "../src/api/CompaniesVersion.js"
import { CompanyList, Company, ErrorBody, Health, RejectedRowList, RunDetail, RunList } from "../src/api/ResponseSchemas.js"
import { fixtureCompanies, seedCompanies, seedRuns, type FixtureCompany } from "./support/apiFixtures.js"
import { apiKeyOption, TestApi, TestApiLive, type HttpResult } from "./support/ApiTestServer.js"
import { testDatabaseKind } from "./support/TestDatabase.js"

const Seeded = Layer.effectDiscard(
  Effect.flatMap(TestApi, (api) => api.sql((sql) => Effect.all([seedCompanies(sql), seedRuns(sql)])))
).pipe(Layer.provideMerge(TestApiLive()))

const decode = <A, I>(schema: Schema.Schema<A, I>, value: unknown) => Schema.decodeUnknownSync(schema)(value)

type SortField = "score" | "name" | "employee_count" | "updated_at"

const sortKey = (field: SortField, c: FixtureCompany): number | string =>
  field === "score"
    ? (c.icp_fit_score ?? -1)
    : field === "employee_count"
      ? (c.employee_count ?? -1)
      : field === "name"
        ? c.company_name.toLowerCase()
        : c.updated_at

/** The order the API promises: the sort key, then id, both in the requested direction. */
const expectedIds = (field: SortField, direction: "asc" | "desc", rows: ReadonlyArray<FixtureCompany>) =>
  [...rows]
    .sort((a, b) => {
      const ka = sortKey(field, a)
      const kb = sortKey(field, b)
      const byKey = ka < kb ? -1 : ka > kb ? 1 : 0
      const order = byKey !== 0 ? byKey : a.id - b.id
      return direction === "asc" ? order : -order
    })
    .map((c) => c.id)

const successful = fixtureCompanies.filter((c) => c.enrichment_status === "success")

/** Polls (bounded) until a condition holds; for events that arrive asynchronously, never for timing. */
const waitUntil = (condition: () => Effect.Effect<boolean>) =>
  Effect.gen(function* () {
    for (let attempt = 0; attempt < 400; attempt++) {
      if (yield* condition()) return
      yield* Effect.sleep("25 millis")
    }
    throw new Error("condition not reached within 10 seconds")
  })

/** Until the server's idea of the data version is the database's (within the notification delay). */
const caughtUp = Effect.gen(function* () {
  const api = yield* TestApi
  const latest = yield* api.sql((sql) => sql<{ version: number }>`SELECT version FROM companies_version`)
  yield* waitUntil(() =>
    Effect.promise(() => api.runtime.runPromise(Effect.flatMap(CompaniesVersion, (v) => v.current))).pipe(
      Effect.map((current) => current === latest[0]!.version)
    )
  )
})

const ids = (result: HttpResult) => (result.json.companies as Array<{ id: number }>).map((c) => c.id)

/** Every page of a listing, following next_cursor. */
const walk = (path: string) =>
  Effect.gen(function* () {
    const api = yield* TestApi
    const seen: Array<number> = []
    const totals = new Set<number>()
    let cursor: string | null = null
    for (let pages = 0; pages < 50; pages++) {
      const result: HttpResult = yield* api.get(`${path}${cursor ? `&cursor=${cursor}` : ""}`)
      expect(result.status).toBe(200)
      seen.push(...ids(result))
      totals.add(result.json.total)
      cursor = result.json.next_cursor
      if (cursor === null) break
    }
    return { seen, totals }
  })

const badRequest = (path: string, parameter: string, rule: RegExp | string) =>
  Effect.gen(function* () {
    const api = yield* TestApi
    const result = yield* api.get(path)
    expect(result.status, `${path}: ${result.text}`).toBe(400)
    const body = decode(ErrorBody, result.json)
    const detail = body.details.find((d) => d.parameter === parameter)
    expect(detail, `${path}: ${result.text}`).toBeDefined()
    expect(detail!.message).toMatch(rule)
    expect(body.error).toContain(body.details[0]!.parameter)
  })

describe(`query API (${testDatabaseKind})`, () => {
  layer(Seeded, { timeout: "180 seconds", excludeTestServices: true })((it) => {
    it.effect("GET / answers without the database; /health checks it", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const root = yield* api.get("/")
        expect(root.status).toBe(200)
        expect(root.json).toEqual({ status: "healthy", service: "commonforge-api" })
        expect(root.headers.get("cache-control")).toBe("no-store")
        const health = yield* api.get("/health")
        expect(health.status).toBe(200)
        expect(decode(Health, health.json)).toEqual({ status: "healthy", service: "commonforge-api", database: testDatabaseKind })
        expect(health.headers.get("cache-control")).toBe("no-store")
      }))

    it.effect("GET /companies lists successful enrichments by score, ties by id, in the documented shape", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const result = yield* api.get("/companies")
        expect(result.status).toBe(200)
        expect(result.headers.get("content-type")).toContain("application/json")
        expect(result.headers.get("cache-control")).toBe("private, max-age=30")
        const body = decode(CompanyList, result.json)
        expect(body.total).toBe(successful.length)
        expect(body.next_cursor).toBeNull()
        expect(ids(result)).toEqual(expectedIds("score", "desc", successful))
        const acme = body.companies.find((c) => c.id === 1)!
        expect(acme).toMatchObject({
          company_name: "Acme Analytics",
          domain: "acme.com",
          country: "USA",
          country_code: "US",
          country_name: "United States",
          employee_count: 1200,
          icp_fit_score: 91,
          segment: "Enterprise",
          risk_flags: ["Long sales cycle"],
          enrichment_status: "success",
          confidence: 0.75,
          updated_at: "2024-05-01T10:00:00.000Z",
          created_at: "2024-04-01T00:00:00.000Z"
        })
        expect(acme.score_rationale).toHaveLength(2)
        expect(acme.score_rationale[0]).toEqual({ reason: "Operations team with manual workflows", quote: "we automate invoices", verified: true })
      }))

    it.effect("list pages are gzipped for clients that accept it, and identical either way", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const raw = yield* api.get("/companies?limit=20&enrichment_status=any", { headers: { "accept-encoding": "identity" } })
        expect(raw.headers.get("content-encoding")).toBeNull()
        expect(raw.headers.get("vary")).toBe("Accept-Encoding")
        const zipped = yield* Effect.promise(() =>
          fetch(`${api.url}/companies?limit=20&enrichment_status=any`, { headers: { "accept-encoding": "gzip" } })
        )
        expect(zipped.headers.get("content-encoding")).toBe("gzip")
        expect(yield* Effect.promise(() => zipped.json())).toEqual(raw.json)
        const runs = yield* Effect.promise(() => fetch(`${api.url}/runs`, { headers: { "accept-encoding": "gzip" } }))
        expect(runs.status).toBe(200)
        expect(decode(RunList, yield* Effect.promise(() => runs.json())).total).toBe(2)
      }))

    it.effect("every sort, both directions, matches the promised order; ties are broken by id", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        for (const field of ["score", "name", "employee_count", "updated_at"] as const) {
          for (const direction of ["asc", "desc"] as const) {
            const sort = direction === "desc" ? `-${field}` : field
            const result = yield* api.get(`/companies?enrichment_status=any&sort=${sort}`)
            expect(ids(result), sort).toEqual(expectedIds(field, direction, fixtureCompanies))
          }
        }
      }))

    it.effect("cursor pages walk every sort completely, without repeats, at a constant total", () =>
      Effect.gen(function* () {
        for (const sort of ["-score", "score", "name", "-name", "employee_count", "-employee_count", "updated_at", "-updated_at"]) {
          const { seen, totals } = yield* walk(`/companies?enrichment_status=any&limit=2&sort=${sort}`)
          const field = sort.replace("-", "") as SortField
          expect(seen, sort).toEqual(expectedIds(field, sort.startsWith("-") ? "desc" : "asc", fixtureCompanies))
          expect([...totals]).toEqual([fixtureCompanies.length])
        }
        const filtered = yield* walk("/companies?min_score=50&limit=1")
        expect(filtered.seen).toEqual(expectedIds("score", "desc", successful.filter((c) => c.icp_fit_score! >= 50)))
      }))

    it.effect("offset pages agree with the full listing", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const all = expectedIds("score", "desc", successful)
        const page = yield* api.get("/companies?limit=3&offset=3")
        expect(ids(page)).toEqual(all.slice(3, 6))
        expect(page.json.total).toBe(successful.length)
        const past = yield* api.get("/companies?offset=1000")
        expect(past.status).toBe(200)
        expect(ids(past)).toEqual([])
        expect(past.json.next_cursor).toBeNull()
      }))

    it.effect("filters: score range, segment, industry, enrichment status, text search", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const expectIds = (path: string, predicate: (c: FixtureCompany) => boolean, status = "success") =>
          Effect.gen(function* () {
            const result = yield* api.get(path)
            expect(result.status, `${path}: ${result.text}`).toBe(200)
            const rows = fixtureCompanies.filter((c) => (status === "any" || c.enrichment_status === status) && predicate(c))
            expect(ids(result), path).toEqual(expectedIds("score", "desc", rows))
            expect(result.json.total, path).toBe(rows.length)
          })
        yield* expectIds("/companies?min_score=70", (c) => c.icp_fit_score! >= 70)
        yield* expectIds("/companies?max_score=55", (c) => c.icp_fit_score! <= 55)
        yield* expectIds("/companies?min_score=30&max_score=70", (c) => c.icp_fit_score! >= 30 && c.icp_fit_score! <= 70)
        yield* expectIds("/companies?min_score=0&max_score=0", (c) => c.icp_fit_score === 0)
        yield* expectIds("/companies?segment=Enterprise", (c) => c.segment === "Enterprise")
        yield* expectIds("/companies?segment=mid-market", (c) => c.segment === "Mid-Market")
        yield* expectIds("/companies?industry=SAAS", (c) => c.industry_raw?.toLowerCase() === "saas")
        yield* expectIds("/companies?industry=Food%20%26%20Beverage", (c) => c.id === 3)
        yield* expectIds("/companies?enrichment_status=failed", () => true, "failed")
        yield* expectIds("/companies?enrichment_status=pending", () => true, "pending")
        yield* expectIds("/companies?enrichment_status=any&max_score=100", (c) => c.icp_fit_score !== null, "any")
        yield* expectIds("/companies?q=ACME", (c) => c.company_name.toLowerCase().includes("acme"))
        yield* expectIds("/companies?q=logistics.io", (c) => c.domain === "beta-logistics.io")
        yield* expectIds("/companies?q=%25_", (c) => c.id === 9)
        yield* expectIds("/companies?q=_", (c) => c.id === 9)
        yield* expectIds("/companies?q=%25", (c) => c.id === 9)
        yield* expectIds("/companies?q=%E6%9D%B1%E4%BA%AC", (c) => c.id === 10)
        yield* expectIds("/companies?q=acme&segment=enterprise&min_score=50", (c) => c.id === 1)
      }))

    it.effect("country matches raw or normalized spellings", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const us = expectedIds("score", "desc", successful.filter((c) => c.country_code === "US"))
        for (const spelling of ["US", "USA", "United%20States", "us", "U.S.", "united%20states%20of%20america"]) {
          const result = yield* api.get(`/companies?country=${spelling}`)
          expect(ids(result), spelling).toEqual(us)
        }
        expect(ids(yield* api.get("/companies?country=Deutschland"))).toEqual([3])
        expect(ids(yield* api.get("/companies?country=narnia"))).toEqual([5])
        expect(ids(yield* api.get("/companies?country=Atlantis"))).toEqual([])
        expect(ids(yield* api.get("/companies?country=US&segment=Enterprise&sort=-score"))).toEqual([1, 11])
      }))

    it.effect("every validation rule answers 400 naming the parameter and the rule", () =>
      Effect.gen(function* () {
        const cases: ReadonlyArray<readonly [string, string, RegExp | string]> = [
          ["/companies?min_score=abc", "min_score", /integer from 0 to 100, got "abc"/],
          ["/companies?min_score=-1", "min_score", /integer from 0 to 100/],
          ["/companies?min_score=101", "min_score", /integer from 0 to 100/],
          ["/companies?min_score=1.5", "min_score", /integer/],
          ["/companies?min_score=1e2", "min_score", /integer/],
          ["/companies?min_score=99999999999999999999999999", "min_score", /integer from 0 to 100/],
          ["/companies?max_score=200", "max_score", /integer from 0 to 100/],
          ["/companies?min_score=80&max_score=20", "max_score", /at least min_score \(80\)/],
          ["/companies?limit=0", "limit", /integer from 1 to 500/],
          ["/companies?limit=501", "limit", /integer from 1 to 500/],
          ["/companies?limit=9007199254740993", "limit", /integer from 1 to 500/],
          ["/companies?offset=-1", "offset", /integer from 0 to 10000/],
          ["/companies?offset=10001", "offset", /integer from 0 to 10000/],
          ["/companies?sort=score,name", "sort", /one of -score, score, name/],
          ["/companies?segment=Large", "segment", /one of SMB, Mid-Market, Enterprise/],
          ["/companies?enrichment_status=done", "enrichment_status", /one of success, failed, pending, any/],
          ["/companies?country=%20%20", "country", /must not be empty/],
          ["/companies?country=U%00S", "country", /control characters/],
          [`/companies?country=${"x".repeat(101)}`, "country", /at most 100 characters/],
          [`/companies?q=${"y".repeat(201)}`, "q", /at most 200 characters/],
          ["/companies?industry=a%0Ab", "industry", /control characters/],
          ["/companies?min_score=1&min_score=2", "min_score", /given only once/],
          ["/companies?segment=SMB&segment=SMB", "segment", /given only once/],
          ["/companies?minscore=70", "minscore", /not a parameter of this endpoint; expected one of: min_score/],
          ["/companies?country[]=US", "country[]", /not a parameter/],
          ["/companies?cursor=not-a-cursor", "cursor", /not a valid cursor/],
          ["/companies?cursor=%27%20OR%201%3D1%20--", "cursor", /not a valid cursor/],
          [`/companies?cursor=${Buffer.from('[1,"companies:-score","x",1]').toString("base64url")}`, "cursor", /not a valid cursor/],
          [`/companies?cursor=${Buffer.from('[1,"runs",5,5]').toString("base64url")}`, "cursor", /not a valid cursor/],
          [`/companies?cursor=${Buffer.from('[1,"companies:-score",50,-3]').toString("base64url")}`, "cursor", /not a valid cursor/],
          [`/companies?cursor=${Buffer.from('[1,"companies:name","acme",1]').toString("base64url")}&offset=2&sort=name`, "offset", /cannot be combined with cursor/],
          ["/companies.csv?limit=5", "limit", /not a parameter/],
          ["/companies.csv?min_score=x", "min_score", /integer/],
          ["/companies/abc", "id", /positive integer, got "abc"/],
          ["/companies/0", "id", /positive integer/],
          ["/companies/-4", "id", /positive integer/],
          ["/companies/1.0", "id", /positive integer/],
          ["/companies/99999999999999999999", "id", /positive integer/],
          ["/companies/%00", "id", /positive integer/],
          ["/companies/1?verbose=1", "verbose", /not a parameter/],
          ["/companies/by-domain/localhost", "domain", /NonPublicDomain/],
          ["/companies/by-domain/127.0.0.1", "domain", /IP address/],
          ["/companies/by-domain/%20", "domain", /EmptyDomain/],
          ["/companies/by-domain/exa%20mple.com", "domain", /InvalidDomain/],
          ["/runs?limit=1000", "limit", /integer from 1 to 500/],
          [`/runs?cursor=${Buffer.from('[1,"companies:-score",50,3]').toString("base64url")}`, "cursor", /not a cursor of this listing/],
          ["/runs/x", "id", /positive integer/],
          ["/runs/1/rejects?offset=-5", "offset", /integer from 0/],
          ["/runs/1/rejects?limit=abc", "limit", /integer from 1 to 500/]
        ]
        for (const [path, parameter, rule] of cases) yield* badRequest(path, parameter, rule)
      }))

    it.effect("one 400 lists every bad parameter", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const result = yield* api.get("/companies?min_score=abc&limit=0&sort=up&bogus=1")
        expect(result.status).toBe(400)
        const body = decode(ErrorBody, result.json)
        expect(body.details.map((d) => d.parameter).sort()).toEqual(["bogus", "limit", "min_score", "sort"])
        expect(body.details.every((d) => d.in === "query")).toBe(true)
        expect(result.headers.get("cache-control")).toBe("no-store")
      }))

    it.effect("hostile input never yields a 500: injection strings, unicode, oddly encoded values", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const hostile = [
          "' OR 1=1 --",
          "'; DROP TABLE companies; --",
          "Robert'); DROP TABLE companies;--",
          "\\",
          "%",
          "😀",
          "東京",
          "\u202Eevil",
          "a".repeat(100),
          "%E0%A4%A",
          "null",
          "[]",
          "{\"$ne\":1}"
        ]
        for (const value of hostile) {
          for (const parameter of ["country", "q", "industry"]) {
            const result = yield* api.get(`/companies?${parameter}=${encodeURIComponent(value)}`)
            expect(result.status, `${parameter}=${value}: ${result.text}`).toBe(200)
          }
          const domain = yield* api.get(`/companies/by-domain/${encodeURIComponent(value)}`)
          expect([400, 404], `by-domain ${value}`).toContain(domain.status)
        }
        const raw = ["/companies?q=%", "/companies?q=%ZZ", "/companies?country=%C0%AF", "/companies?&&&", "/companies?=1", "/companies?min_score"]
        for (const path of raw) {
          const result = yield* api.get(path)
          expect([200, 400], `${path}: ${result.text}`).toContain(result.status)
        }
        const still = yield* api.get("/companies?enrichment_status=any")
        expect(still.json.total).toBe(fixtureCompanies.length)
      }))

    it.effect("GET /companies/{id} and /companies/by-domain/{domain}", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const one = yield* api.get("/companies/3")
        expect(one.status).toBe(200)
        const company = decode(Company, one.json)
        expect(company).toMatchObject({ id: 3, company_name: "Café Müller GmbH", risk_flags: ["No website content", "Small team"] })
        expect(company.website_text_snippet).toBe("Welcome to Café Müller GmbH.")
        expect(one.headers.get("cache-control")).toBe("private, max-age=30")
        const failed = decode(Company, (yield* api.get("/companies/8")).json)
        expect(failed).toMatchObject({ enrichment_status: "failed", enrichment_error: "LLM timed out", icp_fit_score: null, segment: null })
        const missing = yield* api.get("/companies/424242")
        expect(missing.status).toBe(404)
        expect(decode(ErrorBody, missing.json).error).toContain("424242")
        expect(missing.headers.get("cache-control")).toBe("no-store")
        expect((yield* api.get("/companies/9007199254740991")).status).toBe(404)
        for (const form of ["acme.com", "ACME.COM", "www.acme.com", encodeURIComponent("https://www.Acme.com/about?x=1"), "acme.com."]) {
          const found = yield* api.get(`/companies/by-domain/${form}`)
          expect(found.status, form).toBe(200)
          expect(found.json.id, form).toBe(1)
        }
        const unknown = yield* api.get("/companies/by-domain/unknown-company.com")
        expect(unknown.status).toBe(404)
        expect(unknown.json.error).toContain("unknown-company.com")
      }))

    it.effect("GET /companies.csv streams every match with a header, quoting and joined risk flags", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const result = yield* api.get("/companies.csv?enrichment_status=any")
        expect(result.status).toBe(200)
        expect(result.headers.get("content-type")).toBe("text/csv; charset=utf-8")
        expect(result.headers.get("content-disposition")).toContain('filename="companies.csv"')
        expect(result.headers.get("cache-control")).toBe("private, no-cache")
        expect(result.text.endsWith("\r\n")).toBe(true)
        const records = parseCsv(result.text, { columns: true }) as Array<Record<string, string>>
        expect(records.map((r) => Number(r.id))).toEqual(expectedIds("score", "desc", fixtureCompanies))
        const byId = new Map(records.map((r) => [Number(r.id), r]))
        expect(byId.get(5)!.company_name).toBe('Quote "Co", Inc.')
        expect(byId.get(5)!.risk_flags).toBe("Multi-line\nflag")
        expect(byId.get(4)!.company_name).toBe(`'=HYPERLINK("http://evil.example")`)
        expect(byId.get(3)!.risk_flags).toBe("No website content; Small team")
        expect(byId.get(3)!.company_name).toBe("Café Müller GmbH")
        expect(byId.get(7)!.icp_fit_score).toBe("")
        expect(byId.get(1)).toMatchObject({ domain: "acme.com", country_code: "US", icp_fit_score: "91", segment: "Enterprise", confidence: "0.75" })
        const filtered = yield* api.get("/companies.csv?country=USA&min_score=50&sort=name")
        const rows = parseCsv(filtered.text, { columns: true }) as Array<Record<string, string>>
        expect(rows.map((r) => Number(r.id))).toEqual(
          expectedIds("name", "asc", successful.filter((c) => c.country_code === "US" && c.icp_fit_score! >= 50))
        )
        const none = yield* api.get("/companies.csv?country=Atlantis")
        expect(none.status).toBe(200)
        expect(parseCsv(none.text, { columns: false })).toHaveLength(1)
      }))

    it.effect("a CSV export larger than one batch arrives complete and in order", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        yield* api.sql(
          (sql) => sql`
            INSERT INTO companies (id, company_name, domain, industry_raw, icp_fit_score, segment, enrichment_status)
            SELECT 100000 + i, 'Bulk ' || i, 'bulk-' || i || '.com', 'Bulk', i % 101, 'SMB', 'success'
            FROM generate_series(1, 2345) AS i`
        )
        yield* caughtUp
        const result = yield* api.get("/companies.csv?industry=bulk")
        const records = parseCsv(result.text, { columns: true }) as Array<Record<string, string>>
        const expected = Array.from({ length: 2345 }, (_, k) => ({ id: 100001 + k, score: (k + 1) % 101 }))
          .sort((a, b) => b.score - a.score || b.id - a.id)
          .map((r) => r.id)
        expect(records.map((r) => Number(r.id))).toEqual(expected)
        const count = yield* api.get("/companies?industry=bulk&limit=1")
        expect(count.json.total).toBe(2345)
        yield* api.sql((sql) => sql`DELETE FROM companies WHERE industry_raw = 'Bulk'`)
        yield* caughtUp
        expect((yield* api.get("/companies?industry=bulk&limit=1")).json.total).toBe(0)
      }))

    it.effect("a change to the data shows in the next response once the server has seen its version", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const before = yield* api.get("/companies?min_score=90")
        expect(ids(before)).toEqual([10, 2, 1])
        expect(ids(yield* api.get("/companies?min_score=90"))).toEqual([10, 2, 1])
        yield* api.sql((sql) => sql`UPDATE companies SET icp_fit_score = 95 WHERE id = 3`)
        yield* caughtUp
        const after = yield* api.get("/companies?min_score=90")
        expect(ids(after)).toEqual([10, 3, 2, 1])
        expect(after.json.total).toBe(4)
        yield* api.sql((sql) => sql`UPDATE companies SET icp_fit_score = 55 WHERE id = 3`)
        yield* caughtUp
        const restored = yield* api.get("/companies?min_score=90")
        expect(ids(restored)).toEqual([10, 2, 1])
        expect(restored.json.total).toBe(3)
      }))

    it.effect("the version is followed by LISTEN, and a lost LISTEN connection is replaced", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const listening = () => Effect.promise(() => api.runtime.runPromise(Effect.map(CompaniesVersion, (v) => v.isListening())))
        yield* waitUntil(listening)
        const killed = yield* api.sql((sql) =>
          sql<{ ok: boolean }>`
            SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
            WHERE application_name = 'commonforge-api-listen' AND datname = current_database()`
        )
        expect(killed.map((r) => r.ok)).toEqual([true])
        yield* waitUntil(() => Effect.map(listening(), (l) => !l))
        // Without LISTEN every read asks the database: a write shows at once.
        yield* api.sql((sql) => sql`UPDATE companies SET icp_fit_score = 96 WHERE id = 3`)
        expect(ids(yield* api.get("/companies?min_score=90"))).toEqual([10, 3, 2, 1])
        yield* api.sql((sql) => sql`UPDATE companies SET icp_fit_score = 55 WHERE id = 3`)
        expect(ids(yield* api.get("/companies?min_score=90"))).toEqual([10, 2, 1])
        yield* waitUntil(listening)
        expect(api.logs.some((l) => l.message.includes("lost the companies_version LISTEN connection"))).toBe(true)
      }))

    it.effect("GET /runs pages newest first; /runs/{id} has per-stage counts and timings", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const list = yield* api.get("/runs")
        expect(list.status).toBe(200)
        expect(list.headers.get("cache-control")).toBe("private, no-cache")
        const runs = decode(RunList, list.json)
        expect(runs.total).toBe(2)
        expect(runs.runs.map((r) => r.id)).toEqual([2, 1])
        // The fixture's run 2 is stored `running`, but no process holds the run lock: it reads as interrupted.
        expect(runs.runs[0]).toMatchObject({ status: "interrupted", finished_at: null, duration_ms: null })
        const first = yield* api.get("/runs?limit=1")
        expect(first.json.runs.map((r: { id: number }) => r.id)).toEqual([2])
        const second = yield* api.get(`/runs?limit=1&cursor=${first.json.next_cursor}`)
        expect(second.json.runs.map((r: { id: number }) => r.id)).toEqual([1])
        expect(second.json.next_cursor).toBeNull()

        const detail = decode(RunDetail, (yield* api.get("/runs/1")).json)
        expect(detail).toMatchObject({
          id: 1,
          status: "succeeded",
          input_path: "data/companies.csv",
          started_at: "2024-05-01T10:00:00.000Z",
          finished_at: "2024-05-01T10:01:30.000Z",
          duration_ms: 90_000,
          counts: { read: 5 },
          settings: { stages: ["load", "clean"] },
          tokens: { input: 750, output: 220 }
        })
        expect(detail.stages.map((s) => s.stage)).toEqual(["load", "clean", "enrich"])
        expect(detail.stages[0]).toMatchObject({ status: "succeeded", total: 5, done: 5, failed: 0, duration_ms: 1500 })
        expect(detail.stages[2]).toMatchObject({ done: 2, failed: 1, duration_ms: 50_000 })
        expect(detail.failures).toEqual([{ stage: "enrich", error_kind: "Timeout", count: 1 }])
        const missing = yield* api.get("/runs/99")
        expect(missing.status).toBe(404)
        expect(missing.json.error).toContain("99")
      }))

    it.effect("GET /runs/{id}/rejects pages the run's rejected rows by line", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const all = decode(RejectedRowList, (yield* api.get("/runs/1/rejects")).json)
        expect(all.total).toBe(3)
        expect(all.rejects.map((r) => r.line_number)).toEqual([3, 4, 5])
        expect(all.rejects[2]).toEqual({
          line_number: 5,
          raw: { company_name: "Acme", domain: "acme.com" },
          reason: "Duplicate",
          message: "duplicate of line 2",
          duplicate_of_line: 2
        })
        expect(all.next_offset).toBeNull()
        const page = decode(RejectedRowList, (yield* api.get("/runs/1/rejects?limit=2&offset=1")).json)
        expect(page.rejects.map((r) => r.line_number)).toEqual([4, 5])
        const head = decode(RejectedRowList, (yield* api.get("/runs/1/rejects?limit=1")).json)
        expect(head.next_offset).toBe(1)
        expect(decode(RejectedRowList, (yield* api.get("/runs/2/rejects")).json)).toEqual({ run_id: 2, total: 0, rejects: [], next_offset: null })
        expect((yield* api.get("/runs/77/rejects")).status).toBe(404)
      }))

    it.scoped("API_KEY guards every endpoint but / and /health, comparing the bearer token", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const url = yield* api.startAnother({ apiKey: apiKeyOption("s3cret-key") })
        const get = (path: string, headers: Record<string, string> = {}) =>
          Effect.promise(() => fetch(`${url}${path}`, { headers }).then(async (r) => ({ status: r.status, headers: r.headers, body: await r.text() })))
        expect((yield* get("/")).status).toBe(200)
        expect((yield* get("/health")).status).toBe(200)
        for (const path of ["/companies", "/companies/1", "/companies.csv", "/runs", "/runs/1", "/runs/1/rejects", "/openapi.json", "/docs", "/nope", "/companies?min_score=abc"]) {
          const denied = yield* get(path)
          expect(denied.status, path).toBe(401)
          expect(denied.headers.get("www-authenticate")).toContain("Bearer")
          expect(JSON.parse(denied.body).error).toContain("Authorization")
        }
        for (const header of ["Bearer wrong", "Bearer s3cret-ke", "Bearer s3cret-key-longer", "Basic czNjcmV0LWtleQ==", "s3cret-key", "Bearer "]) {
          expect((yield* get("/companies", { authorization: header })).status, header).toBe(401)
        }
        const allowed = yield* get("/companies?limit=1", { authorization: "Bearer s3cret-key" })
        expect(allowed.status).toBe(200)
        expect(JSON.parse(allowed.body).total).toBeGreaterThan(0)
        expect((yield* get("/companies?limit=1", { authorization: "bearer   s3cret-key" })).status).toBe(200)
        expect((yield* get("/companies?min_score=abc", { authorization: "Bearer s3cret-key" })).status).toBe(400)
        const document = JSON.parse((yield* get("/openapi.json", { authorization: "Bearer s3cret-key" })).body)
        expect(document.security).toEqual([{ bearerAuth: [] }])
        expect(document.paths["/health"].get.security).toEqual([])

        const openDocs = yield* api.startAnother({ apiKey: apiKeyOption("s3cret-key"), docsPublic: true })
        const docs = yield* Effect.promise(() => fetch(`${openDocs}/docs`))
        expect(docs.status).toBe(200)
        expect((yield* Effect.promise(() => fetch(`${openDocs}/openapi.json`))).status).toBe(200)
        expect((yield* Effect.promise(() => fetch(`${openDocs}/companies`))).status).toBe(401)
      }))

    it.scoped("CORS answers only the configured origins, preflights included", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const url = yield* api.startAnother({ corsOrigins: ["https://app.example.com"], apiKey: apiKeyOption("k") })
        const allowed = yield* Effect.promise(() =>
          fetch(`${url}/companies?limit=1`, { headers: { origin: "https://app.example.com", authorization: "Bearer k" } })
        )
        expect(allowed.status).toBe(200)
        expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com")
        const other = yield* Effect.promise(() => fetch(`${url}/`, { headers: { origin: "https://evil.example" } }))
        expect(other.headers.get("access-control-allow-origin")).toBeNull()
        const preflight = yield* Effect.promise(() =>
          fetch(`${url}/companies`, {
            method: "OPTIONS",
            headers: { origin: "https://app.example.com", "access-control-request-method": "GET", "access-control-request-headers": "authorization" }
          })
        )
        expect(preflight.status).toBe(204)
        expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com")
        expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization")
        const none = yield* api.get("/", { headers: { origin: "https://app.example.com" } })
        expect(none.headers.get("access-control-allow-origin")).toBeNull()
        const star = yield* api.startAnother({ corsOrigins: ["*"] })
        const any = yield* Effect.promise(() => fetch(`${star}/`, { headers: { origin: "https://whoever.example" } }))
        expect(any.headers.get("access-control-allow-origin")).toBe("*")
      }))

    it.effect("GET /openapi.json is OpenAPI 3.1 generated from the same schemas", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const result = yield* api.get("/openapi.json")
        expect(result.status).toBe(200)
        expect(result.headers.get("cache-control")).toBe("private, max-age=300")
        const document = result.json
        expect(document.openapi).toBe("3.1.0")
        expect(Object.keys(document.paths).sort()).toEqual([
          "/",
          "/companies",
          "/companies.csv",
          "/companies/by-domain/{domain}",
          "/companies/facets",
          "/companies/{id}",
          "/companies/{id}/override",
          "/companies/{id}/overrides",
          "/health",
          "/runs",
          "/runs/{id}",
          "/runs/{id}/rejects"
        ])
        const list = document.paths["/companies"].get
        const parameter = (name: string) => list.parameters.find((p: { name: string }) => p.name === name)
        expect(parameter("min_score")).toMatchObject({ in: "query", schema: { type: "integer", minimum: 0, maximum: 100 } })
        expect(parameter("limit")).toMatchObject({ schema: { type: "integer", minimum: 1, maximum: 500, default: 50 } })
        expect(parameter("sort").schema.enum).toEqual([
          "-score", "score", "name", "-name", "employee_count", "-employee_count", "updated_at", "-updated_at",
          "segment", "-segment", "country", "-country", "industry", "-industry"
        ])
        expect(parameter("segment").schema.enum).toEqual(["SMB", "Mid-Market", "Enterprise", "Unknown"])
        expect(parameter("country").description).toContain("USA")
        expect(list.parameters.map((p: { name: string }) => p.name).sort()).toEqual(
          ["country", "cursor", "enrichment_status", "industry", "limit", "max_score", "min_score", "offset", "override", "q", "segment", "sort", "status"]
        )
        expect(list.responses["200"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/CompanyList" })
        expect(list.responses["400"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" })
        expect(document.components.schemas.Error.required).toEqual(["error", "details"])
        expect(document.components.schemas.Company.required).toContain("icp_fit_score")
        expect(document.components.schemas.Company.properties.segment).toBeDefined()
        const byId = document.paths["/companies/{id}"].get
        expect(byId.parameters).toContainEqual(expect.objectContaining({ in: "path", name: "id", required: true, schema: expect.objectContaining({ type: "integer", minimum: 1 }) }))
        expect(byId.responses["404"]).toBeDefined()
        expect(Object.keys(document.paths["/companies.csv"].get.responses["200"].content)).toEqual(["text/csv"])
        const refs = [...result.text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!)
        expect(refs.length).toBeGreaterThan(10)
        for (const ref of new Set(refs)) {
          expect(ref, ref).toMatch(/^#\/components\/schemas\/[A-Za-z0-9._-]+$/)
          expect(document.components.schemas[ref.split("/").pop()!], ref).toBeDefined()
        }
      }))

    it.effect("GET /docs is a Scalar page whose script is served locally", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const page = yield* api.get("/docs")
        expect(page.status).toBe(200)
        expect(page.headers.get("content-type")).toContain("text/html")
        expect(page.text).toContain('src="/docs/scalar.js"')
        expect(page.text).toContain("/openapi.json")
        expect(page.text).not.toContain("cdn.jsdelivr.net")
        const script = yield* api.get("/docs/scalar.js")
        expect(script.status).toBe(200)
        expect(script.headers.get("content-type")).toContain("javascript")
        expect(script.headers.get("cache-control")).toBe("public, max-age=86400")
        expect(script.text).toContain("createApiReference")
        expect(script.text.length).toBeGreaterThan(1_000_000)
      }))

    it.effect("unknown paths answer a JSON 404", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const result = yield* api.get("/nope")
        expect(result.status).toBe(404)
        expect(decode(ErrorBody, result.json).error).toContain("/nope")
      }))

    it.effect("every request is logged with its status and latency", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        yield* api.get("/companies?min_score=91&limit=1")
        yield* api.get("/companies/abc")
        const line = api.logs.find((l) => l.annotations.url === "/companies?min_score=91&limit=1")
        expect(line).toBeDefined()
        expect(line!.annotations).toMatchObject({ method: "GET", status: 200 })
        expect(typeof line!.annotations.duration_ms).toBe("number")
        expect(line!.message).toMatch(/^GET \/companies 200 [\d.]+ms$/)
        const bad = api.logs.find((l) => l.annotations.url === "/companies/abc")
        expect(bad).toMatchObject({ level: "WARN", annotations: { status: 400 } })
      }))
  })
})
