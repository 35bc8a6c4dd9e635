import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as zlib from "node:zlib"
import {
  dataLines,
  endlessBody,
  type LlmFaults,
  redirectTo,
  runAndRead,
  type RunOutcome,
  startFaultWorld,
  siteWith,
  trickle,
  validObject
} from "./support/faultMatrix.js"
import { type FixtureSite, html, htmlPage } from "./support/fixtureSites.js"
import { fixtureEnv } from "./support/pipelineHarness.js"
import { testDatabaseKind } from "./support/TestDatabase.js"

/**
 * Fault matrix, part 1: the hostile sites and LLM answers the pipeline already handles. One run of the real CLI
 * over one company per fault and a few good ones; every fault ends in its documented terminal state, the run
 * exits 0, and every input line is accounted for.
 */

const page = (name: string, body: string) => html(htmlPage({ title: name, body }))

const gzipBomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, " "))

const invalidUtf8 = Buffer.concat([
  Buffer.from('<!doctype html><html><head><meta charset="utf-8"><title>Broken Bytes</title></head><body><main><p>Caf'),
  Buffer.from([0xff, 0xfe, 0xc3]),
  Buffer.from(" freight routing software for logistics teams.</p></main></body></html>")
])

/** One domain per site fault. */
const hostile: Readonly<Record<string, FixtureSite>> = {
  "endless-body-fault.com": siteWith({ "/": endlessBody }),
  "gzip-bomb-fault.com": siteWith({
    "/": { status: 200, headers: { "content-type": "text/html; charset=utf-8", "content-encoding": "gzip" }, body: gzipBomb }
  }),
  "redirect-loop-fault.com": siteWith({ "/": redirectTo("/loop"), "/loop": redirectTo("/") }),
  "slowloris-fault.com": siteWith({ "/": trickle(200) }),
  "invalid-utf8-fault.com": siteWith({ "/": { status: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: invalidUtf8 } }),
  "status-429-fault.com": siteWith({ "/": { status: 429, headers: { "content-type": "text/html" }, body: "slow down" } }),
  "status-500-fault.com": siteWith({ "/": { status: 500, headers: { "content-type": "text/html" }, body: "oops" } }),
  "site-timeout-fault.com": siteWith({ "/": { ...page("Never", "never sent"), delayMs: 120_000 } })
}

const fenced = "co-00011.com"
const prose = "co-00012.com"
const outOfRange = "co-00013.com"
const good = ["co-00001.com", "co-00002.com", "co-00003.com"]

const llmFaults: LlmFaults = {
  [fenced]: (r) => ({ type: "text", text: "```json\n" + JSON.stringify(validObject(r), null, 2) + "\n```" }),
  [prose]: () => ({ type: "text", text: "This company looks like a strong fit for CommonForge: it runs logistics at scale." }),
  [outOfRange]: (r) => ({ type: "object", value: { ...validObject(r), icp_fit_score: 250, confidence: 7 } })
}

const csvLines = [
  ...good.map((d, i) => `Good Company ${i + 1},${d},US,240,Software`),
  `Fenced Answer Inc,${fenced},US,640,Logistics`,
  `Prose Answer Inc,${prose},Germany,85,Software`,
  `Out Of Range Inc,${outOfRange},France,1500,Software`,
  ...Object.keys(hostile).map((d) => `${d.replace(/-fault\.com$/, "").replace(/-/g, " ")} co,${d},US,120,Software`),
  // One duplicate and one invalid line: rejected with their reason, never lost.
  `Good Company Again,https://www.${good[0]}/,US,240,Software`,
  "No Domain Co,not a domain,US,10,Retail"
]

const expectScrapeFailure = (
  outcome: RunOutcome,
  domain: string,
  expected: { readonly kind: string; readonly retryable: boolean; readonly status?: "failed" | "skipped"; readonly message?: RegExp }
) => {
  const company = outcome.companies.get(domain)
  expect(company, domain).toBeDefined()
  expect({ domain, status: company!.scraping_status, text: company!.website_text_snippet }).toEqual({
    domain,
    status: expected.status ?? "failed",
    text: null
  })
  expect(company!.scraping_error, domain).toMatch(new RegExp(`^${expected.kind}: `))
  if (expected.message) expect(company!.scraping_error, domain).toMatch(expected.message)
  const item = outcome.items.get(`scrape ${domain}`)
  expect({ domain, status: item?.status, kind: item?.error_kind, retryable: item?.retryable }).toEqual({
    domain,
    status: expected.status ?? "failed",
    kind: expected.kind,
    retryable: expected.retryable
  })
}

describe(`fault matrix: faults handled today (${testDatabaseKind} database)`, () => {
  it.scoped(
    "one run over hostile sites and LLM answers: each fault ends as documented, the good companies persist, nothing is lost",
    () =>
      Effect.gen(function* () {
        const { sites, llm, dir, csv, db } = yield* startFaultWorld({ name: "faults", hostile, llmFaults, csvLines })
        const env = {
          ...fixtureEnv({ sitesPort: sites.port, llmUrl: llm.url }),
          SCRAPER_TIMEOUT: "2",
          SCRAPER_MAX_RETRIES: "0",
          SCRAPER_CONCURRENCY: "16",
          LLM_MAX_RETRIES: "0",
          CONCURRENT_LLM_CALLS: "4",
          ...db
        }

        const outcome = yield* runAndRead(["--input", csv], env, dir, db)
        expect(outcome.code, outcome.stderr).toBe(0)
        expect(outcome.runs).toEqual([{ id: 1, status: "succeeded" }])

        // Nothing lost: every line read is accepted, rejected or a duplicate; every accepted one is a company.
        const lines = dataLines(csv)
        const input = outcome.summary.input
        expect(input.lines_read).toBe(lines)
        expect(input.lines_read).toBe(input.accepted + input.rejected + input.duplicates)
        expect({ accepted: input.accepted, rejected: input.rejected, duplicates: input.duplicates }).toEqual({
          accepted: lines - 2,
          rejected: 1,
          duplicates: 1
        })
        expect(outcome.companies.size).toBe(input.accepted)
        expect(outcome.companies.size + outcome.rejected.length).toBe(lines)
        expect(outcome.rejected.map((r) => ({ line: r.line_number, reason: r.reason, of: r.duplicate_of_line }))).toEqual([
          { line: lines, reason: "Duplicate", of: 2 },
          { line: lines + 1, reason: "InvalidDomain", of: null }
        ])
        // Every company reached a terminal state in every stage.
        const stuck = [...outcome.items.values()].filter((i) => !["succeeded", "failed", "skipped"].includes(i.status))
        expect(stuck).toEqual([])

        // The good companies: scraped, enriched once each, persisted.
        for (const domain of good) {
          const company = outcome.companies.get(domain)!
          expect({ domain, scrape: company.scraping_status, enrich: company.enrichment_status }).toEqual({
            domain,
            scrape: "success",
            enrich: "success"
          })
          expect(company.website_text_snippet).toContain("AI automation platform for operations teams")
          expect(outcome.items.get(`persist ${domain}`)?.status).toBe("succeeded")
        }

        // Sites.
        expectScrapeFailure(outcome, "endless-body-fault.com", { kind: "TooLarge", retryable: false, message: /larger than 2000000 bytes/ })
        expectScrapeFailure(outcome, "gzip-bomb-fault.com", { kind: "TooLarge", retryable: false, message: /larger than 2000000 bytes/ })
        expectScrapeFailure(outcome, "redirect-loop-fault.com", { kind: "RedirectLoop", retryable: false })
        expectScrapeFailure(outcome, "slowloris-fault.com", { kind: "Timeout", retryable: true, message: /within 2 s/ })
        expectScrapeFailure(outcome, "site-timeout-fault.com", { kind: "Timeout", retryable: true, message: /within 2 s/ })
        expectScrapeFailure(outcome, "status-429-fault.com", { kind: "HttpStatus", retryable: true, message: /HTTP 429/ })
        expectScrapeFailure(outcome, "status-500-fault.com", { kind: "HttpStatus", retryable: true, message: /HTTP 500/ })

        const broken = outcome.companies.get("invalid-utf8-fault.com")!
        expect(broken.scraping_status).toBe("success")
        expect(broken.website_text_snippet).toContain("Caf\uFFFD")
        expect(broken.website_text_snippet).toContain("freight routing software for logistics teams.")
        expect(outcome.items.get("scrape invalid-utf8-fault.com")?.status).toBe("succeeded")

        // A failed scrape still gets an enrichment (without website text), so every company is scored.
        for (const domain of Object.keys(hostile)) {
          expect({ domain, enrich: outcome.companies.get(domain)!.enrichment_status }).toEqual({ domain, enrich: "success" })
        }

        // LLM answers.
        const asked = (domain: string) => llm.requests().filter((r) => r.company?.company.domain === domain).length
        const fencedCompany = outcome.companies.get(fenced)!
        expect({ status: fencedCompany.enrichment_status, kind: fencedCompany.enrichment_error_kind }).toEqual({ status: "success", kind: null })
        expect(fencedCompany.personalized_pitch).toEqual(expect.any(String))
        expect(asked(fenced)).toBe(1)
        for (const domain of [prose, outOfRange]) {
          const company = outcome.companies.get(domain)!
          expect({ domain, status: company.enrichment_status, kind: company.enrichment_error_kind, pitch: company.personalized_pitch }).toEqual({
            domain,
            status: "failed",
            kind: "InvalidOutput",
            pitch: null
          })
          expect(company.enrichment_error).toMatch(/failed the schema twice/)
          const item = outcome.items.get(`enrich ${domain}`)
          expect({ status: item?.status, kind: item?.error_kind, retryable: item?.retryable }).toEqual({
            status: "failed",
            kind: "InvalidOutput",
            retryable: false
          })
          // The first answer and the one repair request, no more.
          expect(asked(domain), domain).toBe(2)
          // The company is still persisted, with its scrape.
          expect(company.scraping_status).toBe("success")
        }
        expect(outcome.companies.get(prose)!.enrichment_error).toContain("strong fit for CommonForge")
        expect(outcome.companies.get(outOfRange)!.enrichment_error).toMatch(/icp_fit_score|confidence/)

        // The summary counts what the tables hold.
        const failures = Object.fromEntries(
          (outcome.summary.failures as Array<{ stage: string; error_kind: string; count: number }>).map((f) => [`${f.stage} ${f.error_kind}`, f.count])
        )
        expect(failures).toEqual({
          "scrape TooLarge": 2,
          "scrape RedirectLoop": 1,
          "scrape Timeout": 2,
          "scrape HttpStatus": 2,
          "enrich InvalidOutput": 2
        })
        expect(outcome.summary.stored).toBe(outcome.companies.size)
      }),
    240_000
  )
})
