import { describe, expect, it } from "@effect/vitest"
import { Chunk, ConfigProvider, Effect, Either, Stream } from "effect"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parse as parsePsl } from "tldts"
import { type CleanOutcome, cleanStream } from "../src/stages/clean/cleanStream.js"
import { cleanRow } from "../src/stages/clean/cleanRow.js"
import { DomainIndex } from "../src/stages/clean/DomainIndex.js"
import { IngestReport } from "../src/stages/clean/IngestReport.js"
import { normalizeCompanyName } from "../src/stages/clean/normalizeCompanyName.js"
import { normalizeCountry } from "../src/stages/clean/normalizeCountry.js"
import { normalizeDomain } from "../src/stages/clean/normalizeDomain.js"
import { normalizeEmployeeCount } from "../src/stages/clean/normalizeEmployeeCount.js"
import { loadCsv } from "../src/stages/load/loadCsv.js"
import type { RawRow } from "../src/stages/load/RawRow.js"

const fixture = (name: string) => path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "csv", name)

const outcomes = (name: string) => Stream.runCollect(cleanStream(loadCsv(fixture(name), {}))).pipe(Effect.map(Chunk.toArray))

/** Each line as `accepted` or its rejection reason. */
const verdicts = (list: ReadonlyArray<CleanOutcome>) =>
  Object.fromEntries(
    list.map((o) => (o._tag === "Accepted" ? [o.company.lineNumber, "accepted"] : [o.rejection.lineNumber, o.rejection.reason]))
  )

const accepted = (list: ReadonlyArray<CleanOutcome>) => list.flatMap((o) => (o._tag === "Accepted" ? [o.company] : []))

const row = (values: Partial<RawRow["values"]>, lineNumber = 2): RawRow => {
  const full = { company_name: "Acme", domain: "acme.com", country: "US", employee_count: "10", industry_raw: "SaaS", ...values }
  return { lineNumber, values: full, raw: { ...full } }
}

const domainOf = (input: string) => Either.getOrElse(normalizeDomain(input), (r) => r.reason)
const countOf = (input: string) =>
  Either.match(normalizeEmployeeCount(input), { onLeft: (r) => r.reason, onRight: (count) => count.value })

describe("normalizeDomain", () => {
  it("reduces what people paste to the lowercase host", () => {
    const cases: Record<string, string> = {
      "https://www.Acme.com/about?x=1": "acme.com",
      "http://acme.com:8080/": "acme.com",
      "www.acme.co.uk.": "acme.co.uk",
      "ACME.COM": "acme.com",
      "  acme.com  ": "acme.com",
      "//acme.com/path": "acme.com",
      "https://user@acme.com/": "acme.com",
      "info@acme.com": "acme.com",
      "münchen.de": "xn--mnchen-3ya.de",
      "https://www.münchen.de/": "xn--mnchen-3ya.de",
      "XN--MNCHEN-3YA.DE": "xn--mnchen-3ya.de",
      "blog.acme.com": "acme.com",
      "www.blog.acme.com": "acme.com",
      "shop.acme.co.uk": "acme.co.uk",
      "acme.github.io": "acme.github.io",
      "acme。com": "acme.com"
    }
    for (const [input, expected] of Object.entries(cases)) expect([input, domainOf(input)]).toEqual([input, expected])
  })

  it("drops `www` and other subdomains only as whole labels", () => {
    expect(domainOf("awww.io")).toBe("awww.io")
    expect(domainOf("www2.acme.com")).toBe("acme.com")
    expect(domainOf("wwwacme.com")).toBe("wwwacme.com")
    // www.com is itself the registrable name, not a www label in front of a company's.
    expect(domainOf("www.com")).toBe("www.com")
  })

  it("rejects empty, IP, local, non-public and malformed input with the reason", () => {
    const cases: Record<string, string> = {
      "": "EmptyDomain",
      "   ": "EmptyDomain",
      "192.168.1.10": "IpAddress",
      "http://10.0.0.1:8080/": "IpAddress",
      "0x7f.1": "IpAddress",
      "http://[2001:db8::1]/": "IpAddress",
      "2001:db8::1": "IpAddress",
      localhost: "NonPublicDomain",
      "http://localhost:3000/": "NonPublicDomain",
      "intranet.local": "NonPublicDomain",
      "printer.internal": "NonPublicDomain",
      "example.test": "NonPublicDomain",
      intranet: "NonPublicDomain",
      "acme.notarealtld": "NonPublicDomain",
      "co.uk": "NonPublicDomain",
      "github.io": "NonPublicDomain",
      "two words.com": "InvalidDomain",
      "a..b.com": "InvalidDomain",
      "-acme.com": "InvalidDomain",
      "acme-.com": "InvalidDomain",
      "acme_corp.com": "InvalidDomain",
      "https://": "InvalidDomain",
      "http://acme.com:99999/": "InvalidDomain",
      "xn--zz.com": "InvalidDomain",
      [`${"x".repeat(64)}.com`]: "InvalidDomain"
    }
    for (const [input, expected] of Object.entries(cases)) expect([input, domainOf(input)]).toEqual([input, expected])
  })

  it("explains a rejection in a message naming the input", () => {
    const result = normalizeDomain("localhost")
    expect(Either.isLeft(result) && result.left.message).toContain('"localhost"')
  })

  it("gives what the URL parser and the public suffix list give, on its fast paths too", () => {
    // The reference: always through `new URL`, labels checked by a regex, public suffix by tldts.
    const reference = (input: string): string => {
      const trimmed = input.trim()
      if (trimmed === "") return "EmptyDomain"
      let host: string
      try {
        host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`).hostname
      } catch {
        return "InvalidDomain"
      }
      if (/^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith("[")) return "IpAddress"
      host = host.replace(/\.$/, "")
      if (host.length > 253 || !/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/.test(host)) return "InvalidDomain"
      const psl = parsePsl(host, { allowPrivateDomains: true })
      if (psl.domain === null || !(psl.isIcann || psl.isPrivate)) return "NonPublicDomain"
      return psl.domain
    }
    let seed = 7
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
    const pick = <A>(items: ReadonlyArray<A>) => items[Math.floor(random() * items.length)]!
    const labels = ["acme", "ACME", "www", "WWW", "xn--mnchen-3ya", "a-b", "-x", "x-", "123", "0x1f", "b2b", "shop", "", "a".repeat(63)]
    const suffixes = [".com", ".co.uk", ".io", ".COM", ".local", ".123", "", ".", ".github.io", ".notatld", ".de."]
    const schemes = ["", "", "http://", "https://", "HTTPS://", "ftp://"]
    const tails = ["", "", "/", "/about?x=1", ":8080", ":8080/", "#top", "?q", ":x/", ":99999/", ":65535", ":"]
    for (let i = 0; i < 20_000; i++) {
      const host = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(labels)).join(".") + pick(suffixes)
      const input = pick(schemes) + host + pick(tails)
      expect([input, domainOf(input)]).toEqual([input, reference(input)])
    }
  })
})

describe("normalizeEmployeeCount", () => {
  it("reads integers, thousands separators, decimals and k/M", () => {
    const cases: Record<string, number> = {
      "1200": 1200,
      "1,200": 1200,
      "1 200": 1200,
      "1\u00a0200": 1200,
      "1'200": 1200,
      "12,345,678": 12_345_678,
      "1200.0": 1200,
      "1,200.00": 1200,
      "5k": 5000,
      "5 K": 5000,
      "1.5k": 1500,
      "1.1k": 1100,
      "2M": 2_000_000,
      "0": 0,
      " 42 ": 42
    }
    for (const [input, expected] of Object.entries(cases)) expect([input, countOf(input)]).toEqual([input, expected])
  })

  it("rejects empty, NA, negative and non-numeric values with the reason", () => {
    const cases: Record<string, string> = {
      "": "MissingEmployeeCount",
      "  ": "MissingEmployeeCount",
      NA: "MissingEmployeeCount",
      "n/a": "MissingEmployeeCount",
      "N/A": "MissingEmployeeCount",
      "-": "MissingEmployeeCount",
      unknown: "MissingEmployeeCount",
      "-5": "InvalidEmployeeCount",
      "about fifty": "InvalidEmployeeCount",
      "12.5": "InvalidEmployeeCount",
      "1,20": "InvalidEmployeeCount",
      "1,200 300": "InvalidEmployeeCount",
      "1.2.3": "InvalidEmployeeCount",
      "1e3": "InvalidEmployeeCount",
      "200-51": "InvalidEmployeeCount",
      "1.000.5": "InvalidEmployeeCount",
      "99999999999": "InvalidEmployeeCount"
    }
    for (const [input, expected] of Object.entries(cases)) expect([input, countOf(input)]).toEqual([input, expected])
    const negative = normalizeEmployeeCount("-5")
    expect(Either.isLeft(negative) && negative.left.message).toBe('employee_count "-5" is negative')
  })
})

describe("normalizeCompanyName", () => {
  it("trims, collapses whitespace and decodes HTML entities", () => {
    expect(normalizeCompanyName("Lowe&#8217;s")).toBe("Lowe’s")
    expect(normalizeCompanyName("AT&amp;T")).toBe("AT&T")
    expect(normalizeCompanyName("Procter & Gamble")).toBe("Procter & Gamble")
    expect(normalizeCompanyName("  Spaced \t  Out\nInc  ")).toBe("Spaced Out Inc")
    expect(normalizeCompanyName("Non&nbsp;breaking")).toBe("Non breaking")
    expect(normalizeCompanyName("Acme Inc")).toBe("Acme Inc")
    expect(normalizeCompanyName("   ")).toBe("")
  })
})

describe("normalizeCountry", () => {
  it("matches the spellings of a country to one code and English name", () => {
    for (const input of ["US", "us", "USA", "U.S.", "U.S.A.", "United States", "united states of america", "USA; Remote", "Remote (US)"]) {
      expect([input, normalizeCountry(input)]).toEqual([input, { code: "US", name: "United States" }])
    }
    for (const input of ["UK", "GB", "United Kingdom", "Great Britain", "England"]) {
      expect([input, normalizeCountry(input)]).toEqual([input, { code: "GB", name: "United Kingdom" }])
    }
    expect(normalizeCountry("Deutschland")).toEqual({ code: "DE", name: "Germany" })
    expect(normalizeCountry("DEU")).toEqual({ code: "DE", name: "Germany" })
    expect(normalizeCountry("France / Remote")).toEqual({ code: "FR", name: "France" })
    expect(normalizeCountry("Korea, Republic of")).toEqual({ code: "KR", name: "South Korea" })
    expect(normalizeCountry("Côte d’Ivoire")).toEqual({ code: "CI", name: "Côte d'Ivoire" })
    expect(normalizeCountry("CA")).toEqual({ code: "CA", name: "Canada" })
  })

  it("gives null for what names no country, rather than guessing", () => {
    for (const input of ["", "  ", "Atlantis", "Remote", "NA", "n/a", "Boston, MA", "Remote / Worldwide"]) {
      expect([input, normalizeCountry(input)]).toEqual([input, null])
    }
  })
})

describe("cleanRow", () => {
  it("builds the clean company from a good row", () => {
    const result = cleanRow(
      row({ company_name: " Lowe&#8217;s ", domain: "https://www.Lowes.com/", country: "USA; Remote", employee_count: "1,200", industry_raw: "  Retail " }, 7)
    )
    expect(result).toEqual(
      Either.right({
        company: {
          lineNumber: 7,
          companyName: "Lowe’s",
          domain: "lowes.com",
          countryRaw: "USA; Remote",
          countryCode: "US",
          countryName: "United States",
          employeeCount: 1200,
          employeeCountRaw: "1,200",
          employeeCountMin: 1200,
          employeeCountMax: 1200,
          industryRaw: "Retail"
        },
        countryUnknown: false
      })
    )
  })

  it("keeps an unknown country raw and flags it; blank country and industry become null", () => {
    const unknown = cleanRow(row({ country: "Atlantis" }))
    expect(Either.isRight(unknown) && unknown.right).toMatchObject({
      company: { countryRaw: "Atlantis", countryCode: null, countryName: null },
      countryUnknown: true
    })
    const blank = cleanRow(row({ country: " ", industry_raw: "" }))
    expect(Either.isRight(blank) && blank.right).toMatchObject({
      company: { countryRaw: null, countryCode: null, industryRaw: null },
      countryUnknown: false
    })
  })

  it("rejects with the first reason, keeping the line and the raw record", () => {
    const bad = row({ company_name: "", domain: "localhost", employee_count: "NA" }, 12)
    expect(cleanRow(bad)).toEqual(
      Either.left({
        lineNumber: 12,
        raw: bad.raw,
        reason: "NonPublicDomain",
        message: expect.stringContaining("localhost"),
        duplicateOfLine: null
      })
    )
    const nameless = cleanRow(row({ company_name: "  ", employee_count: "NA" }))
    expect(Either.isLeft(nameless) && nameless.left.reason).toBe("EmptyCompanyName")
    const countless = cleanRow(row({ employee_count: "NA" }))
    expect(Either.isLeft(countless) && countless.left.reason).toBe("MissingEmployeeCount")
  })
})

describe("cleanStream", () => {
  it.effect("keeps the first line of a domain and reports later ones as its duplicates", () =>
    Effect.gen(function* () {
      const list = yield* outcomes("duplicates.csv")
      expect(verdicts(list)).toEqual({ 2: "accepted", 3: "Duplicate", 4: "accepted", 5: "Duplicate", 6: "EmptyDomain", 7: "Duplicate" })
      const duplicates = list.flatMap((o) => (o._tag === "Rejected" && o.rejection.reason === "Duplicate" ? [o.rejection] : []))
      expect(duplicates.map((d) => [d.lineNumber, d.duplicateOfLine])).toEqual([
        [3, 2],
        [5, 2],
        [7, 4]
      ])
      expect(duplicates[0]!.message).toBe("domain acme.com already appears on line 2")
      expect(duplicates[0]!.raw).toEqual({ company_name: "Acme Again", domain: "https://www.acme.com/", country: "US", employee_count: "10", industry_raw: "" })
    }))

  it.effect("starts afresh each time the stream runs", () =>
    Effect.gen(function* () {
      const stream = cleanStream(loadCsv(fixture("duplicates.csv"), {}))
      const first = verdicts(Chunk.toArray(yield* Stream.runCollect(stream)))
      const second = verdicts(Chunk.toArray(yield* Stream.runCollect(stream)))
      expect(second).toEqual(first)
    }))

  it.effect("normalizes domains in the domains fixture", () =>
    Effect.gen(function* () {
      const list = yield* outcomes("domains.csv")
      expect(accepted(list).map((c) => c.domain)).toEqual(["acme.com", "portco.com", "acme.co.uk", "globex.com", "xn--mnchen-3ya.de", "awww.io"])
      expect(verdicts(list)).toMatchObject({
        8: "EmptyDomain",
        9: "EmptyDomain",
        10: "IpAddress",
        11: "IpAddress",
        12: "NonPublicDomain",
        13: "NonPublicDomain",
        14: "NonPublicDomain",
        15: "InvalidDomain",
        16: "InvalidDomain"
      })
    }))

  it.effect("reads employee counts in the employee-counts fixture", () =>
    Effect.gen(function* () {
      const list = yield* outcomes("employee-counts.csv")
      expect(accepted(list).map((c) => c.employeeCount)).toEqual([1200, 1200, 1200, 1200, 5000])
      expect(verdicts(list)).toMatchObject({
        7: "MissingEmployeeCount",
        8: "MissingEmployeeCount",
        9: "MissingEmployeeCount",
        10: "InvalidEmployeeCount",
        11: "InvalidEmployeeCount",
        12: "InvalidEmployeeCount"
      })
    }))

  it.effect("tidies names and keeps industries as given in the names fixture", () =>
    Effect.gen(function* () {
      const list = yield* outcomes("names.csv")
      expect(accepted(list).map((c) => [c.companyName, c.industryRaw])).toEqual([
        ["Lowe’s", "Home improvement"],
        ["AT&T", "Telecom"],
        ["Spaced Out Inc", null]
      ])
      expect(verdicts(list)[5]).toBe("EmptyCompanyName")
    }))

  it.effect("normalizes countries in the countries fixture, keeping unknown ones raw", () =>
    Effect.gen(function* () {
      const list = yield* outcomes("countries.csv")
      expect(accepted(list).map((c) => [c.countryRaw, c.countryCode, c.countryName])).toEqual([
        ["US", "US", "United States"],
        ["USA", "US", "United States"],
        ["United States", "US", "United States"],
        ["U.S.", "US", "United States"],
        ["USA; Remote", "US", "United States"],
        ["Deutschland", "DE", "Germany"],
        ["Atlantis", null, null],
        [null, null, null]
      ])
      const unknown = list.filter((o) => o._tag === "Accepted" && o.countryUnknown)
      expect(unknown.length).toBe(1)
    }))

  it.effect("accounts for every line of a real-world-shaped messy file", () =>
    Effect.gen(function* () {
      const list = yield* outcomes("messy-real-world.csv")
      expect(verdicts(list)).toEqual({
        2: "accepted",
        3: "accepted",
        4: "accepted",
        5: "accepted",
        6: "accepted",
        7: "accepted",
        8: "accepted",
        9: "MissingEmployeeCount",
        12: "MissingEmployeeCount",
        13: "Duplicate",
        14: "accepted",
        15: "NonPublicDomain",
        16: "IpAddress",
        17: "EmptyCompanyName",
        18: "EmptyDomain",
        19: "accepted",
        20: "InvalidEmployeeCount",
        21: "accepted",
        22: "Duplicate",
        23: "accepted",
        24: "accepted",
        25: "accepted",
        26: "NonPublicDomain",
        28: "accepted"
      })
      const byLine = new Map(accepted(list).map((c) => [c.lineNumber, c]))
      expect(byLine.get(5)).toMatchObject({ companyName: "Lowe’s", countryCode: "US", employeeCount: 300_000 })
      expect(byLine.get(6)).toMatchObject({ companyName: "AT&T", domain: "att.com", employeeCount: 150_000 })
      expect(byLine.get(4)).toMatchObject({ domain: "hubspot.com", employeeCount: 7600 })
      expect(byLine.get(8)).toMatchObject({ domain: "canva.com", employeeCount: 4500 })
      expect(byLine.get(19)).toMatchObject({ companyName: "Spaced Name Ltd", domain: "spaced.co.uk", countryCode: "GB", employeeCount: 1200 })

      const report = new IngestReport()
      for (const outcome of list) report.add(outcome)
      expect({ read: report.read, accepted: report.accepted, rejected: report.rejected, duplicates: report.duplicates }).toEqual({
        read: 24,
        accepted: 14,
        rejected: 8,
        duplicates: 2
      })
      expect(report.accepted + report.rejected + report.duplicates).toBe(report.read)
      expect(report.unknownCountries).toBe(1)
    }))
})

describe("IngestReport", () => {
  const rejected = (lineNumber: number, reason: "EmptyDomain" | "Duplicate"): CleanOutcome => ({
    _tag: "Rejected",
    rejection: { lineNumber, raw: {}, reason, message: `${reason} on ${lineNumber}`, duplicateOfLine: reason === "Duplicate" ? 2 : null }
  })

  it("counts by reason and keeps the first three examples of each", () => {
    const report = new IngestReport()
    for (let line = 2; line < 8; line++) report.add(rejected(line, "EmptyDomain"))
    report.add(rejected(9, "Duplicate"))
    const company = cleanRow(row({ country: "Atlantis" }, 10))
    if (Either.isRight(company)) report.add({ _tag: "Accepted", ...company.right })
    expect(report.byReason.get("EmptyDomain")).toBe(6)
    expect(report.examples.get("EmptyDomain")!.map((e) => e.lineNumber)).toEqual([2, 3, 4])
    expect([report.read, report.accepted, report.rejected, report.duplicates, report.unknownCountries]).toEqual([8, 1, 6, 1, 1])
    expect(report.summaryLines()).toEqual([
      "8 data lines read: 1 accepted, 6 rejected, 1 duplicates",
      "  EmptyDomain: 6",
      "    line 2: EmptyDomain on 2",
      "    line 3: EmptyDomain on 3",
      "    line 4: EmptyDomain on 4",
      "  Duplicate: 1",
      "    line 9: Duplicate on 9",
      "  unknown country (accepted, kept raw): 1",
      '    line 10: country "Atlantis" kept as given'
    ])
  })
})

describe("DomainIndex", () => {
  it("remembers the first line of each of many domains through its growth", () => {
    const index = new DomainIndex()
    const count = 300_000
    let added = 0
    for (let i = 0; i < count; i++) if (index.firstLineOrAdd(`company-${i}.example.com`, i + 2) === null) added++
    expect(added).toBe(count)
    expect(index.size).toBe(count)
    let found = 0
    for (let i = 0; i < count; i++) if (index.firstLineOrAdd(`company-${i}.example.com`, 9_999_999) === i + 2) found++
    expect(found).toBe(count)
    expect(index.firstLineOrAdd("company-300000.example.com", 5)).toBeNull()
    expect(index.size).toBe(count + 1)
  })
})

describe("real company lists", () => {
  const realLists = (settings?: Parameters<typeof cleanStream>[1]) =>
    Stream.runCollect(cleanStream(loadCsv(fixture("real-lists.csv"), {}), settings)).pipe(Effect.map(Chunk.toArray))

  it.effect("rejects links on shared platforms as PlatformUrl, naming the platform, and keeps hosted sites", () =>
    Effect.gen(function* () {
      const list = yield* realLists()
      const platformLines = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
      expect(verdicts(list)).toMatchObject(Object.fromEntries(platformLines.map((line) => [line, "PlatformUrl"])))
      const message = (line: number) => list.flatMap((o) => (o._tag === "Rejected" && o.rejection.lineNumber === line ? [o.rejection.message] : []))[0]
      expect(message(2)).toContain("the Apple App Store")
      expect(message(3)).toContain("Facebook")
      expect(message(7)).toContain("Y Combinator")
      expect(message(9)).toContain("LinkedIn")
      expect(message(12)).toContain("LinkedIn")
      // No platform company stands in for the companies listed on it, so none of them is a "duplicate".
      expect(list.some((o) => o._tag === "Rejected" && o.rejection.reason === "Duplicate")).toBe(false)
      expect(accepted(list).map((c) => c.domain)).toEqual([
        "apple.com",
        "acme.github.io",
        "acme.myshopify.com",
        "acme.wixsite.com",
        "acme.wordpress.com",
        "ranged.com",
        "krange.com",
        "band.com",
        "facebook.com"
      ])
    }))

  it.effect("reads head-count ranges and both thousands separators, keeping the text and the bounds", () =>
    Effect.gen(function* () {
      const list = yield* realLists()
      const sizes = Object.fromEntries(
        accepted(list).map((c) => [c.domain, [c.employeeCount, c.employeeCountMin, c.employeeCountMax, c.employeeCountRaw]])
      )
      expect(sizes).toEqual({
        "apple.com": [10_001, 10_001, null, "10,001+"],
        "acme.github.io": [1000, 1000, 1000, "1.000"],
        "acme.myshopify.com": [1000, 1000, 1000, "1,000"],
        "acme.wixsite.com": [1200, 1200, 1200, "1.200"],
        "acme.wordpress.com": [23, 11, 50, "11-50"],
        "ranged.com": [101, 51, 200, "51–200"],
        "krange.com": [2236, 1000, 5000, "1K-5K"],
        "band.com": [317, 201, 500, "201 to 500 employees"],
        "facebook.com": [10_001, 10_001, null, "10,001+"]
      })
      expect(verdicts(list)[21]).toBe("MissingEmployeeCount")
    }))

  it.effect("keeps a company of unknown size with MISSING_EMPLOYEE_COUNT=keep", () =>
    Effect.gen(function* () {
      const list = yield* realLists({ missingEmployeeCount: "keep" })
      const sizeless = accepted(list).find((c) => c.domain === "sizeless.com")
      expect(sizeless).toMatchObject({ employeeCount: null, employeeCountMin: null, employeeCountMax: null, employeeCountRaw: null })
      // Only a missing count is kept: an unreadable one is still rejected.
      const bad = cleanRow(row({ employee_count: "about fifty" }), { missingEmployeeCount: "keep" })
      expect(Either.isLeft(bad) && bad.left.reason).toBe("InvalidEmployeeCount")
    }))

  it("tells a platform's profile links from its own site and hosted tenants", () => {
    const cases: Record<string, string> = {
      "apple.com": "apple.com",
      "https://www.apple.com/iphone/": "apple.com",
      "apps.apple.com": "PlatformUrl",
      "linkedin.com": "linkedin.com",
      "uk.linkedin.com/company/acme": "PlatformUrl",
      "https://bit.ly/3abc": "PlatformUrl",
      "https://sites.google.com/view/acme": "PlatformUrl",
      "github.com": "github.com",
      "github.com/acme": "PlatformUrl",
      "acme.github.io": "acme.github.io",
      "blog.acme.github.io": "acme.github.io",
      "wordpress.com": "wordpress.com",
      "https://shop.acme.squarespace.com": "acme.squarespace.com",
      "ycombinator.com": "ycombinator.com",
      "ycombinator.com/about": "ycombinator.com",
      "https://www.producthunt.com/products/acme": "PlatformUrl",
      "info@acme.com": "acme.com"
    }
    for (const [input, expected] of Object.entries(cases)) expect([input, domainOf(input)]).toEqual([input, expected])
  })

  it("reads ranges, open ranges and bands as lists write them", () => {
    const cases: Record<string, number | string> = {
      "1-10": 3,
      "11-50": 23,
      "51 - 200": 101,
      "201–500": 317,
      "501-1,000": 708,
      "1,001-5,000": 2237,
      "5,001-10,000": 7072,
      "10,001+": 10_001,
      "10000+": 10_000,
      "1K-5K": 2236,
      "1.000": 1000,
      "1,000": 1000,
      "1.200": 1200,
      "1.000.000": 1_000_000,
      "1,5k": 1500,
      "< 10": 3,
      "more than 1000": 1001,
      "Self-employed": 1,
      "11-50 employees": 23,
      "0-10": 3
    }
    for (const [input, expected] of Object.entries(cases)) expect([input, countOf(input)]).toEqual([input, expected])
    const open = normalizeEmployeeCount("10,001+")
    expect(Either.getOrThrow(open)).toEqual({ value: 10_001, min: 10_001, max: null })
  })
})

describe("IngestReport: companies kept without a head count", () => {
  it.effect("are counted in the summary", () =>
    Effect.gen(function* () {
      const report = new IngestReport()
      const list = yield* Stream.runCollect(cleanStream(loadCsv(fixture("real-lists.csv"), {}), { missingEmployeeCount: "keep" }))
      for (const outcome of list) report.add(outcome)
      expect(report.unknownSizes).toBe(1)
      expect(report.summaryLines()).toContain("  employee count unknown (accepted, segment Unknown): 1")
      expect(report.byReason.get("PlatformUrl")).toBe(11)
    }))
})

describe("MISSING_EMPLOYEE_COUNT", () => {
  const run = (value: string) =>
    Stream.runCollect(cleanStream(loadCsv(fixture("real-lists.csv"), {}))).pipe(
      Effect.map(Chunk.toArray),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["MISSING_EMPLOYEE_COUNT", value]])))
    )

  it.effect("is read by cleanStream: keep accepts the sizeless company, a bad value names the variable", () =>
    Effect.gen(function* () {
      expect(accepted(yield* run("keep")).some((c) => c.domain === "sizeless.com")).toBe(true)
      expect(accepted(yield* run("reject")).some((c) => c.domain === "sizeless.com")).toBe(false)
      const error = yield* Effect.flip(run("maybe"))
      expect(String(error)).toContain("MISSING_EMPLOYEE_COUNT: expected one of reject, keep, got 'maybe'")
    }))
})
