import { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Either, Schema } from "effect"
import { Hono } from "hono"
import { gunzipSync } from "node:zlib"
import { ApiError } from "../src/api/ApiError.js"
import { highlightQuotes } from "../src/api/app/highlightQuotes.js"
import { companyCursorScope, companyFilters, CompanyListQuery } from "../src/api/CompanyListQuery.js"
import { csvLine } from "../src/api/csvLine.js"
import { decodeCursor, encodeCursor } from "../src/api/Cursor.js"
import { encodedBody, negotiate } from "../src/api/EncodedBody.js"
import { errorResponseFor, errorResponseForCause } from "../src/api/errorResponse.js"
import { startApiServer } from "../src/api/startApiServer.js"
import { parameterIssues } from "../src/api/validationHook.js"
import { makeVersionedCache } from "../src/api/VersionedCache.js"
import { DatabaseError } from "../src/db/DatabaseError.js"

describe("csvLine", () => {
  it("quotes what RFC 4180 requires and nothing else", () => {
    expect(csvLine(["plain", 42, null, 0.5])).toBe("plain,42,,0.5\r\n")
    expect(csvLine(['say "hi"', "a,b", "two\nlines", "cr\rhere"])).toBe('"say ""hi""","a,b","two\nlines","cr\rhere"\r\n')
    expect(csvLine([" padded "])).toBe('" padded "\r\n')
    expect(csvLine([""])).toBe("\r\n")
  })

  it("defuses cells a spreadsheet would run as formulas", () => {
    expect(csvLine(["=1+1", "+cmd", "-2+3", "@SUM(A1)", "safe=1"])).toBe("'=1+1,'+cmd,'-2+3,'@SUM(A1),safe=1\r\n")
    expect(csvLine(['=HYPERLINK("x")'])).toBe(`"'=HYPERLINK(""x"")"\r\n`)
    expect(csvLine([-5])).toBe("-5\r\n")
  })
})

describe("cursor", () => {
  it("round-trips and is opaque base64url", () => {
    const cursor = { scope: "companies:-score", key: 70, id: 12 }
    const text = encodeCursor(cursor)
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeCursor(text)).toEqual(Either.right(cursor))
    const named = { scope: "companies:name", key: 'o\'brien "&" co', id: 3 }
    expect(decodeCursor(encodeCursor(named))).toEqual(Either.right(named))
  })

  it("refuses anything it did not issue", () => {
    const bad = [
      "",
      "!!!",
      "a".repeat(3000),
      Buffer.from("not json").toString("base64url"),
      Buffer.from('{"a":1}').toString("base64url"),
      Buffer.from('[2,"companies:-score",1,1]').toString("base64url"),
      Buffer.from('[1,"companies:-score",1.5,1]').toString("base64url"),
      Buffer.from('[1,"companies:-score",null,1]').toString("base64url"),
      Buffer.from('[1,"companies:-score",1,0]').toString("base64url"),
      Buffer.from('[1,"companies:-score",1,1e300]').toString("base64url"),
      Buffer.from('[1,5,1,1]').toString("base64url")
    ]
    for (const text of bad) expect(Either.isLeft(decodeCursor(text)), text).toBe(true)
  })
})

describe("CompanyListQuery", () => {
  const decode = Schema.decodeUnknownEither(CompanyListQuery, { errors: "all", onExcessProperty: "error" })

  it("applies the documented defaults", () => {
    expect(decode({})).toEqual(Either.right({ enrichment_status: "success", override: "any", sort: "-score", limit: 50 }))
  })

  it("accepts cursors only for the sort and the filters they were issued under", () => {
    const filters = companyFilters(Either.getOrThrow(decode({ min_score: "50" })) as any)
    const cursor = encodeCursor({ scope: companyCursorScope("updated_at", filters), key: "2024-05-01T10:00:00.000001Z", id: 3 })
    expect(Either.isRight(decode({ sort: "updated_at", min_score: "50", cursor }))).toBe(true)
    const message = (query: Record<string, string>) =>
      Either.match(decode(query), { onLeft: (e) => String(e), onRight: () => "accepted" })
    expect(message({ sort: "-updated_at", min_score: "50", cursor })).toContain("was issued for sort=updated_at")
    expect(message({ sort: "updated_at", min_score: "60", cursor })).toContain("was issued for other filters")
    expect(message({ sort: "updated_at", cursor })).toContain("was issued for other filters")
    const badKey = encodeCursor({ scope: companyCursorScope("updated_at", filters), key: "yesterday", id: 3 })
    expect(message({ sort: "updated_at", min_score: "50", cursor: badKey })).toContain("is not a valid cursor")
    const unbound = encodeCursor({ scope: "companies:updated_at", key: "2024-05-01T10:00:00.000001Z", id: 3 })
    expect(message({ sort: "updated_at", cursor: unbound })).toContain("is not a valid cursor")
  })
})

describe("parameterIssues", () => {
  it("names unknown parameters and keeps one detail per parameter and rule", () => {
    const details = parameterIssues(
      [
        { path: ["zz"], message: "is unexpected" },
        { path: ["limit"], message: "must be an integer from 1 to 500, got \"0\"" },
        { path: ["limit"], message: "must be an integer from 1 to 500, got \"0\"" },
        { path: [{ key: "id" }], message: "must be a positive integer" }
      ],
      "query",
      ["limit", "id"]
    )
    expect(details).toEqual([
      { parameter: "zz", in: "query", message: "is not a parameter of this endpoint; expected one of: limit, id" },
      { parameter: "limit", in: "query", message: 'must be an integer from 1 to 500, got "0"' },
      { parameter: "id", in: "query", message: "must be a positive integer" }
    ])
    expect(parameterIssues([{ message: "x" }], "param", [])[0]).toMatchObject({ parameter: "(request)", in: "path" })
  })
})

describe("errorResponseFor: the one place errors become statuses", () => {
  it("maps our errors by reason", () => {
    expect(errorResponseFor(new ApiError({ reason: "BadRequest", message: "m", details: [{ parameter: "p", in: "query", message: "r" }] }))).toEqual({
      status: 400,
      body: { error: "m", details: [{ parameter: "p", in: "query", message: "r" }] }
    })
    expect(errorResponseFor(new ApiError({ reason: "NotFound", message: "gone" })).status).toBe(404)
    expect(errorResponseFor(new ApiError({ reason: "Unauthorized", message: "no" })).status).toBe(401)
    expect(errorResponseFor(new ApiError({ reason: "Unavailable", message: "down" })).status).toBe(503)
  })

  it("answers 503 when the database is down and 500 for anything else, without internals", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })
    expect(errorResponseFor(new SqlError({ message: "Failed to acquire connection", cause: refused })).status).toBe(503)
    const terminated = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" })
    expect(errorResponseFor(new SqlError({ message: "Failed to execute statement", cause: terminated })).status).toBe(503)
    expect(errorResponseFor(new DatabaseError({ reason: "Unavailable", message: "database did not answer" })).status).toBe(503)
    const syntax = Object.assign(new Error('syntax error at or near "FROM"'), { code: "42601" })
    const bug = errorResponseFor(new SqlError({ message: "Failed to execute statement", cause: syntax }))
    expect(bug).toEqual({ status: 500, body: { error: "internal error", details: [] } })
    expect(errorResponseFor(new TypeError("x is undefined")).status).toBe(500)
    expect(errorResponseForCause(Cause.die(new Error("boom"))).body.error).toBe("internal error")
  })
})

describe("makeVersionedCache", () => {
  const make = (maxEntries: number, maxBytes: number) => makeVersionedCache<string>({ maxEntries, maxBytes, sizeOf: (v) => v.length })

  it("hits only at the version an entry was stored at", () => {
    const cache = make(10, 1000)
    cache.set("a", 1, "one")
    expect(cache.get("a", 1)).toBe("one")
    expect(cache.get("a", 2)).toBeUndefined()
    expect(cache.get("a", 1)).toBeUndefined()
    expect(cache.size()).toBe(0)
  })

  it("evicts the least recently used entry by count and by bytes", () => {
    const cache = make(2, 1000)
    cache.set("a", 1, "x")
    cache.set("b", 1, "y")
    expect(cache.get("a", 1)).toBe("x")
    cache.set("c", 1, "z")
    expect(cache.get("b", 1)).toBeUndefined()
    expect(cache.get("a", 1)).toBe("x")
    const small = make(100, 10)
    small.set("k1", 1, "aaaa")
    small.set("k2", 1, "bbbb")
    expect(small.bytes()).toBeLessThanOrEqual(10)
    expect(small.get("k1", 1)).toBeUndefined()
    expect(small.get("k2", 1)).toBe("bbbb")
    small.set("big", 1, "c".repeat(50))
    expect(small.get("big", 1)).toBeUndefined()
    expect(make(0, 1000).size()).toBe(0)
  })
})

describe("negotiate: gzip when the client accepts it", () => {
  const big = encodedBody(new TextEncoder().encode(JSON.stringify({ rows: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `Company ${i}` })) })))

  it.live("compresses a large body once for every client that accepts gzip", () =>
    Effect.gen(function* () {
      for (const header of ["gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*", "GZIP"]) {
        const result = yield* Effect.promise(() => negotiate(big, header))
        expect(result.headers, header).toEqual({ "content-encoding": "gzip", vary: "Accept-Encoding" })
        expect(gunzipSync(result.bytes).toString("utf8")).toBe(new TextDecoder().decode(big.bytes))
        expect(result.bytes.byteLength).toBeLessThan(big.bytes.byteLength / 3)
      }
      const first = big.gzipped
      yield* Effect.promise(() => negotiate(big, "gzip"))
      expect(big.gzipped).toBe(first)
    }))

  it.live("sends the body as is when gzip is not accepted or the body is small", () =>
    Effect.gen(function* () {
      for (const header of [undefined, "", "identity", "deflate, br", "gzip;q=0", "gzip; q=0.0", "x-gzip-not"]) {
        const result = yield* Effect.promise(() => negotiate(big, header))
        expect(result.bytes, String(header)).toBe(big.bytes)
        expect(result.headers).toEqual({ vary: "Accept-Encoding" })
      }
      const small = encodedBody(new TextEncoder().encode('{"ok":true}'))
      expect(yield* Effect.promise(() => negotiate(small, "gzip"))).toEqual({ bytes: small.bytes, headers: {} })
    }))
})

describe("startApiServer", () => {
  it.live("close() lets an in-flight request finish, then stops accepting connections", () =>
    Effect.gen(function* () {
      const entered = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const app = new Hono()
      app.get("/slow", async (c) => {
        await Effect.runPromise(Deferred.succeed(entered, undefined))
        await Effect.runPromise(Deferred.await(release))
        return c.text("finished")
      })
      const server = yield* Effect.promise(() => startApiServer(app, { host: "127.0.0.1", port: 0 }))
      const url = `http://127.0.0.1:${server.port}`
      const inFlight = Effect.runPromise(Effect.promise(() => fetch(`${url}/slow`).then(async (r) => [r.status, await r.text()] as const)))
      yield* Deferred.await(entered)
      let closed = false
      const closing = server.close(60_000).then(() => {
        closed = true
      })
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      expect(closed).toBe(false)
      yield* Deferred.succeed(release, undefined)
      expect(yield* Effect.promise(() => inFlight)).toEqual([200, "finished"])
      yield* Effect.promise(() => closing)
      expect(closed).toBe(true)
      const refused = yield* Effect.promise(() => fetch(`${url}/slow`).then(() => "answered", () => "refused"))
      expect(refused).toBe("refused")
    }))
})

describe("highlightQuotes", () => {
  it("marks every occurrence of each quote, ignoring case and how whitespace runs, and keeps the text whole", () => {
    const text = "We AUTOMATE  invoices.\nThen we automate\tinvoices again; a [regex] (quote) too."
    const parts = highlightQuotes(text, ["automate invoices", "[regex] (quote)", "missing quote", "  "])
    expect(parts.map((p) => p.text).join("")).toBe(text)
    expect(parts.filter((p) => p.quote !== undefined).map((p) => [p.text, p.quote])).toEqual([
      ["AUTOMATE  invoices", 0],
      ["automate\tinvoices", 0],
      ["[regex] (quote)", 1]
    ])
    expect(highlightQuotes("plain", [])).toEqual([{ text: "plain" }])
  })

  it("never marks two overlapping stretches", () => {
    const parts = highlightQuotes("one two three", ["one two", "two three"])
    expect(parts).toEqual([{ text: "one two", quote: 0 }, { text: " three" }])
  })
})
