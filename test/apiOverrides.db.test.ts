import { describe, expect, layer } from "@effect/vitest"
import { parse as parseCsv } from "csv-parse/sync"
import { Effect, Layer, Schema } from "effect"
import * as net from "node:net"
import { Company, CompanyFacets, CompanyList, ErrorBody, OverrideHistory } from "../src/api/ResponseSchemas.js"
import { fixtureCompanies, seedCompanies, seedRuns } from "./support/apiFixtures.js"
import { apiKeyOption, TestApi, TestApiLive, type HttpResult } from "./support/ApiTestServer.js"
import { testDatabaseKind } from "./support/TestDatabase.js"

const Seeded = Layer.effectDiscard(
  Effect.flatMap(TestApi, (api) =>
    api.sql((sql) =>
      Effect.all([
        seedCompanies(sql),
        seedRuns(sql),
        sql`INSERT INTO companies (id, company_name, domain, industry_raw, icp_fit_score, segment, enrichment_status, country, country_code, country_name)
            VALUES (12, 'PayFlow', 'payflow.io', 'Fintech / Payments', 64, 'SMB', 'success', 'UK', 'GB', 'United Kingdom')`
      ])
    )
  )
).pipe(Layer.provideMerge(TestApiLive()))

const decode = <A, I>(schema: Schema.Schema<A, I>, value: unknown) => Schema.decodeUnknownSync(schema)(value)
const ids = (result: HttpResult) => (result.json.companies as Array<{ id: number }>).map((c) => c.id)

const patch = (api: typeof TestApi.Service, id: number | string, body: unknown, headers: Record<string, string> = {}) =>
  api.get(`/companies/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body)
  })

/** A raw HTTP/1.1 exchange, for requests fetch() would refuse to send. */
const rawRequest = (url: string, head: string) =>
  Effect.promise(
    () =>
      new Promise<string>((resolve, reject) => {
        const { hostname, port } = new URL(url)
        const socket = net.connect(Number(port), hostname, () => socket.write(head))
        let text = ""
        socket.setEncoding("utf8").on("data", (d: string) => (text += d))
        socket.on("end", () => resolve(text))
        socket.on("error", reject)
      })
  )

describe(`overrides, facets and API polish (${testDatabaseKind})`, () => {
  layer(Seeded, { timeout: "180 seconds", excludeTestServices: true })((it) => {
    it.effect("PATCH validates its body, naming each field and rule", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const cases: ReadonlyArray<readonly [unknown, number, RegExp]> = [
          [{ score: 101 }, 400, /score/],
          [{ score: -1 }, 400, /score/],
          [{ score: 50.5 }, 400, /score/],
          [{ score: "80" }, 400, /score/],
          [{ segment: "Huge" }, 400, /segment/],
          [{ status: "won" }, 400, /status/],
          [{ note: "x".repeat(4001) }, 400, /note/],
          [{ bogus: 1, score: 50 }, 400, /bogus/],
          [{}, 400, /at least one of score, segment, status, note/],
          [{ author: "me" }, 400, /at least one/],
          [{ score: 50, author: "" }, 400, /author/],
          ["{not json", 400, /json/i],
          [[1, 2], 400, /./]
        ]
        for (const [body, status, rule] of cases) {
          const result = yield* patch(api, 1, body)
          expect(result.status, `${JSON.stringify(body)}: ${result.text}`).toBe(status)
          const error = decode(ErrorBody, result.json)
          expect(`${error.error} ${error.details.map((d) => `${d.parameter} ${d.message}`).join(" ")}`, JSON.stringify(body)).toMatch(rule)
        }
        const notJson = yield* api.get("/companies/1", { method: "PATCH", headers: { "content-type": "text/plain" }, body: "score=5" })
        expect(notJson.status).toBe(415)
        expect((yield* patch(api, 424242, { score: 5 })).status).toBe(404)
        expect((yield* patch(api, "abc", { score: 5 })).status).toBe(400)
        const unchanged = decode(Company, (yield* api.get("/companies/1")).json)
        expect(unchanged.override).toBeNull()
      }))

    it.effect("an override changes the effective values, keeps the model's, is kept in history and clears back", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const set = yield* patch(api, 3, { score: 88, status: "qualified", note: " Met at a fair\u0000 ", author: "ana" })
        expect(set.status, set.text).toBe(200)
        const company = decode(Company, set.json)
        expect(company).toMatchObject({ icp_fit_score: 55, segment: "SMB" })
        expect(company.override).toMatchObject({ score: 88, segment: null, status: "qualified", note: "Met at a fair", author: "ana" })
        expect(company.effective).toEqual({ score: 88, segment: "SMB", status: "qualified" })

        const partial = decode(Company, (yield* patch(api, 3, { segment: "Enterprise" })).json)
        expect(partial.override).toMatchObject({ score: 88, segment: "Enterprise", status: "qualified", note: "Met at a fair", author: "api" })
        expect(partial.effective).toEqual({ score: 88, segment: "Enterprise", status: "qualified" })

        const read = decode(Company, (yield* api.get("/companies/3")).json)
        expect(read.effective.score).toBe(88)
        const listed = (yield* api.get("/companies?min_score=85")).json.companies.map((c: { id: number }) => c.id)
        expect(listed).toContain(3)
        expect(ids(yield* api.get("/companies?segment=Enterprise&min_score=80"))).toEqual([10, 1, 3])
        expect(ids(yield* api.get("/companies?override=overridden"))).toEqual([3])
        expect(ids(yield* api.get("/companies?status=qualified"))).toEqual([3])
        expect(ids(yield* api.get("/companies?override=none")).includes(3)).toBe(false)

        const csv = parseCsv((yield* api.get("/companies.csv?override=overridden")).text, { columns: true }) as Array<Record<string, string>>
        expect(csv).toEqual([
          expect.objectContaining({
            id: "3",
            icp_fit_score: "55",
            segment: "SMB",
            override_score: "88",
            override_segment: "Enterprise",
            qualification_status: "qualified",
            override_note: "Met at a fair",
            effective_score: "88",
            effective_segment: "Enterprise",
            industry_raw: "Food & Beverage"
          })
        ])

        const cleared = yield* api.get("/companies/3/override", { method: "DELETE" })
        expect(cleared.status).toBe(200)
        const back = decode(Company, cleared.json)
        expect(back.override).toBeNull()
        expect(back.effective).toEqual({ score: 55, segment: "SMB", status: null })
        expect(ids(yield* api.get("/companies?override=overridden"))).toEqual([])

        yield* patch(api, 3, { score: 10 })
        const nulls = decode(Company, (yield* patch(api, 3, { score: null })).json)
        expect(nulls.override).toBeNull()

        const history = decode(OverrideHistory, (yield* api.get("/companies/3/overrides")).json)
        expect(history.history.map((h) => [h.score, h.segment, h.status, h.author])).toEqual([
          [null, null, null, "api"],
          [10, null, null, "api"],
          [null, null, null, "api"],
          [88, "Enterprise", "qualified", "api"],
          [88, null, "qualified", "ana"]
        ])
        const rows = yield* api.sql((sql) => sql<{ n: number }>`SELECT count(*)::int AS n FROM company_overrides WHERE company_id = 3`)
        expect(rows[0]!.n).toBe(5)
        const edit = yield* api.sql((sql) => sql`UPDATE company_overrides SET score = 1`.pipe(Effect.either))
        expect(edit._tag).toBe("Left")
      }))

    it.effect("the pipeline's upsert leaves overrides alone", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        yield* patch(api, 1, { score: 12, segment: "SMB", status: "disqualified", note: "competitor" })
        // The statement CompanyWriter runs, on every model column it sets.
        yield* api.sql(
          (sql) => sql`
            INSERT INTO companies (company_name, domain, icp_fit_score, segment, enrichment_status, score_rationale)
            VALUES ('Acme Analytics', 'acme.com', 93, 'Enterprise', 'success', '[]')
            ON CONFLICT (domain) DO UPDATE SET icp_fit_score = EXCLUDED.icp_fit_score, segment = EXCLUDED.segment,
              enrichment_status = EXCLUDED.enrichment_status, updated_at = now()`
        )
        const company = decode(Company, (yield* api.get("/companies/1")).json)
        expect(company.icp_fit_score).toBe(93)
        expect(company.override).toMatchObject({ score: 12, segment: "SMB", status: "disqualified", note: "competitor" })
        expect(company.effective).toEqual({ score: 12, segment: "SMB", status: "disqualified" })
        yield* api.get("/companies/1/override", { method: "DELETE" })
      }))

    it.effect("facets count per segment, country and industry, each under the other filters", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const all = decode(CompanyFacets, (yield* api.get("/companies/facets")).json)
        const successful = fixtureCompanies.filter((c) => c.enrichment_status === "success")
        expect(all.total).toBe(successful.length + 1)
        expect(all.segment.find((f) => f.value === "Enterprise")?.count).toBe(successful.filter((c) => c.segment === "Enterprise").length)
        expect(all.country.find((f) => f.value === "US")).toEqual({ value: "US", label: "United States", count: successful.filter((c) => c.country_code === "US").length })
        expect(all.industry.find((f) => f.value === "saas")).toMatchObject({ count: 3 })
        expect(all.industry.map((f) => f.label)).toContain("Fintech / Payments")

        const us = decode(CompanyFacets, (yield* api.get("/companies/facets?country=USA&segment=Enterprise")).json)
        expect(us.total).toBe(2)
        expect(us.segment.map((f) => [f.value, f.count]).sort()).toEqual([["Enterprise", 2], ["Mid-Market", 2], ["SMB", 1]])
        expect(us.country.map((f) => [f.value, f.count])).toContainEqual(["JP", 1])
        expect((yield* api.get("/companies/facets?limit=5")).status).toBe(400)
      }))

    it.effect("industry matches whole words without regard to case", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        expect(ids(yield* api.get("/companies?industry=payments"))).toEqual([12])
        expect(ids(yield* api.get("/companies?industry=FINTECH"))).toEqual([10, 12, 9])
        expect(ids(yield* api.get("/companies?industry=fintech%20/%20payments"))).toEqual([12])
        expect(ids(yield* api.get("/companies?industry=pay"))).toEqual([])
        expect(ids(yield* api.get("/companies?industry=%5Bx%5D(%3F"))).toEqual([])
        expect((yield* api.get("/companies?industry=.*")).status).toBe(200)
        expect(ids(yield* api.get("/companies?industry=.*"))).toEqual([])
      }))

    it.effect("empty parameters count as absent, as the /docs example sends them", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const plain = yield* api.get("/companies")
        const pasted = yield* api.get("/companies?min_score=&max_score=&country=&segment=&industry=&q=&enrichment_status=&sort=&limit=&cursor=&offset=")
        expect(pasted.status, pasted.text).toBe(200)
        expect(ids(pasted)).toEqual(ids(plain))
        expect((yield* api.get("/companies.csv?country=&q=")).status).toBe(200)
        expect((yield* api.get("/companies/facets?country=")).status).toBe(200)
        expect((yield* api.get("/runs?cursor=&limit=")).status).toBe(200)
        expect((yield* api.get("/companies?country=%20")).status).toBe(400)
      }))

    it.effect("a cursor continues only the listing it was issued for", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const first = yield* api.get("/companies?min_score=50&limit=2")
        const cursor = first.json.next_cursor as string
        expect(cursor).toBeTruthy()
        expect((yield* api.get(`/companies?min_score=50&limit=2&cursor=${cursor}`)).status).toBe(200)
        expect((yield* api.get(`/companies?min_score=50&limit=5&cursor=${cursor}`)).status).toBe(200)
        const other = yield* api.get(`/companies?min_score=60&limit=2&cursor=${cursor}`)
        expect(other.status).toBe(400)
        expect(decode(ErrorBody, other.json).details[0]).toMatchObject({ parameter: "cursor", message: expect.stringMatching(/other filters/) })
        const sorted = yield* api.get(`/companies?min_score=50&limit=2&sort=name&cursor=${cursor}`)
        expect(sorted.json.details[0].message).toMatch(/was issued for sort=-score/)
        const tampered = Buffer.from(JSON.stringify([1, JSON.parse(Buffer.from(cursor, "base64url").toString())[1], "x", 1])).toString("base64url")
        expect((yield* api.get(`/companies?min_score=50&cursor=${tampered}`)).json.details[0].message).toMatch(/not a valid cursor/)
      }))

    it.effect("a known path with another method answers 405 with Allow; a trailing slash is the same path", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const post = yield* api.get("/companies", { method: "POST" })
        expect(post.status).toBe(405)
        expect(post.headers.get("allow")).toBe("GET, HEAD")
        expect(decode(ErrorBody, post.json).error).toMatch(/POST is not allowed/)
        const del = yield* api.get("/companies/1", { method: "DELETE" })
        expect(del.status).toBe(405)
        expect(del.headers.get("allow")).toBe("GET, HEAD, PATCH")
        expect((yield* api.get("/runs/1", { method: "PUT" })).headers.get("allow")).toBe("GET, HEAD")
        expect((yield* api.get("/nope", { method: "POST" })).status).toBe(404)
        const slash = yield* api.get("/companies/")
        expect(slash.status).toBe(200)
        expect(ids(slash)).toEqual(ids(yield* api.get("/companies")))
        expect((yield* api.get("/runs/")).status).toBe(200)
      }))

    it.effect("too long a URL answers the JSON error shape", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const long = yield* api.get(`/companies?q=${"a".repeat(9000)}`)
        expect(long.status).toBe(414)
        expect(decode(ErrorBody, long.json).error).toMatch(/longer than/)
        const huge = yield* rawRequest(api.url, `GET /companies?q=${"a".repeat(70_000)} HTTP/1.1\r\nhost: x\r\n\r\n`)
        expect(huge).toMatch(/^HTTP\/1\.1 431 /)
        const body = huge.slice(huge.indexOf("\r\n\r\n") + 4)
        expect(decode(ErrorBody, JSON.parse(body)).error).toMatch(/too large/)
      }))

    it.effect("the OpenAPI document lists the new endpoints and only models it references", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const result = yield* api.get("/openapi.json")
        const document = result.json
        expect(document.paths["/companies/{id}"].patch.requestBody.content["application/json"].schema).toBeDefined()
        expect(document.paths["/companies/facets"].get.responses["200"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/CompanyFacets" })
        const refs = new Set([...result.text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!))
        expect(Object.keys(document.components.schemas).filter((name) => !refs.has(name))).toEqual([])
        expect(Object.keys(document.paths).some((p) => p.startsWith("/app"))).toBe(false)
      }))

    it.effect("GET / sends a browser to /app and answers JSON to everyone else", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const browser = yield* api.get("/", { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" }, redirect: "manual" })
        expect(browser.status).toBe(302)
        expect(browser.headers.get("location")).toBe("/app")
        expect((yield* api.get("/", { headers: { accept: "application/json" } })).json.status).toBe("healthy")
        expect((yield* api.get("/", { headers: { accept: "*/*" } })).json.status).toBe("healthy")
      }))

    it.effect("pages render server-side, with escaping, and a form override round-trips", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const list = yield* api.get("/app?country=USA&sort=name")
        expect(list.status).toBe(200)
        expect(list.headers.get("content-type")).toContain("text/html")
        expect(list.headers.get("content-security-policy")).toContain("default-src 'self'")
        expect(list.text).toContain("&quot;")
        expect(list.text).not.toContain('=HYPERLINK("http://evil.example")<')
        expect(list.text).toContain('href="/companies.csv?country=USA&amp;sort=name"')
        const page = yield* api.get("/app/companies/1")
        expect(page.status).toBe(200)
        expect(page.text).toContain("<mark")
        const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!
        const form = (fields: Record<string, string>) =>
          api.get("/app/companies/1/override", {
            method: "POST",
            redirect: "manual",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams(fields).toString()
          })
        expect((yield* form({ score: "77", segment: "", status: "contacted", note: "<b>hi</b>", author: "bo" })).status).toBe(403)
        const saved = yield* form({ _csrf: csrf, score: "77", segment: "", status: "contacted", note: "<b>hi</b>", author: "bo" })
        expect(saved.status).toBe(303)
        const after = yield* api.get("/app/companies/1?saved=1")
        expect(after.text).toContain("Override saved.")
        expect(after.text).toContain("&lt;b&gt;hi&lt;/b&gt;")
        expect(decode(Company, (yield* api.get("/companies/1")).json).override).toMatchObject({ score: 77, status: "contacted", author: "bo" })
        const bad = yield* form({ _csrf: csrf, score: "200", segment: "", status: "", note: "", author: "" })
        expect(bad.status).toBe(400)
        expect(bad.text).toContain("Not saved")
        expect((yield* form({ _csrf: csrf, action: "clear" })).status).toBe(303)
        expect(decode(Company, (yield* api.get("/companies/1")).json).override).toBeNull()
        expect((yield* api.get("/app/companies/999999")).status).toBe(404)
        const runs = yield* api.get("/app/runs")
        expect(runs.text).toContain(">#1<")
        const run = yield* api.get("/app/runs/1")
        expect(run.text).toContain("EmptyCompanyName")
        expect(run.text).toContain("duplicate of line 2")
        const bad400 = yield* api.get("/app?min_score=abc")
        expect(bad400.status).toBe(400)
        expect(bad400.text).toContain("cannot be applied")
      }))

    it.scoped("with API_KEY, pages ask for the key once and keep a session cookie; cookie writes need the CSRF token", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const url = yield* api.startAnother({ apiKey: apiKeyOption("s3cret") })
        const get = (path: string, init: RequestInit = {}) => Effect.promise(() => fetch(`${url}${path}`, { redirect: "manual", ...init }))
        const anonymous = yield* get("/app?country=US")
        expect(anonymous.status).toBe(303)
        expect(anonymous.headers.get("location")).toBe(`/app/login?next=${encodeURIComponent("/app?country=US")}`)
        expect((yield* get("/app/login")).status).toBe(200)
        const wrong = yield* get("/app/login", { method: "POST", body: new URLSearchParams({ key: "nope", next: "/app" }) })
        expect(wrong.status).toBe(401)
        const login = yield* get("/app/login", { method: "POST", body: new URLSearchParams({ key: "s3cret", next: "https://evil.example/" }) })
        expect(login.status).toBe(303)
        expect(login.headers.get("location")).toBe("/app")
        const cookie = login.headers.get("set-cookie")!
        expect(cookie).toMatch(/HttpOnly/)
        expect(cookie).toMatch(/SameSite=Strict/)
        expect(cookie).not.toContain("s3cret")
        const session = cookie.split(";")[0]!
        const list = yield* get("/app", { headers: { cookie: session } })
        expect(list.status).toBe(200)
        const html = yield* Effect.promise(() => list.text())
        const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!
        expect((yield* get("/companies.csv", { headers: { cookie: session } })).status).toBe(200)
        const body = JSON.stringify({ score: 5 })
        const noToken = yield* get("/companies/2", { method: "PATCH", headers: { cookie: session, "content-type": "application/json" }, body })
        expect(noToken.status).toBe(403)
        const withToken = yield* get("/companies/2", { method: "PATCH", headers: { cookie: session, "content-type": "application/json", "x-csrf-token": csrf }, body })
        expect(withToken.status).toBe(200)
        const bearer = yield* get("/companies/2/override", { method: "DELETE", headers: { authorization: "Bearer s3cret" } })
        expect(bearer.status).toBe(200)
        expect((yield* get("/companies/2", { method: "PATCH", headers: { "content-type": "application/json" }, body })).status).toBe(401)
        const logout = yield* get("/app/logout", { method: "POST", headers: { cookie: session }, body: new URLSearchParams({ _csrf: csrf }) })
        expect(logout.headers.get("set-cookie")).toMatch(/Max-Age=0/)
      }))
  })
})
