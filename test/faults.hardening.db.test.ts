import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  dataLines,
  hugeHeader,
  type LlmFaults,
  type CompanyRow,
  readOutcome,
  type RunItemRow,
  type RunOutcome,
  runAndRead,
  startFaultWorld,
  siteWith,
  validObject
} from "./support/faultMatrix.js"
import { type FixtureSite, html, htmlPage } from "./support/fixtureSites.js"
import { fixtureEnv, withDatabase } from "./support/pipelineHarness.js"
import { testDatabaseKind } from "./support/TestDatabase.js"

/**
 * Fault matrix, part 2: the faults of issue 15 (text Postgres cannot store, robots.txt past the size limit or
 * unavailable, a huge header, a pathologically deep page, malformed or contradicting LLM answers, NULs in the
 * CSV) and `--resume` as the scheduled command. The first run is `--resume` on an empty database: it must start
 * a new run; the second `--resume`, after that run finished, starts another that costs no fetch and no LLM call
 * for finished companies and tries the retryable failures again.
 */

const MAX_BYTES = 4_000_000

const simplePage = (name: string, body: string) => html(htmlPage({ title: name, body }))

const nulPage = html(
  '<!doctype html><html><head><meta charset="utf-8"><title>Nul Freight</title></head><body>' +
    "<main><p>Logistics SaaS\u0000platform with APIs.</p></main></body></html>"
)

/** A robots.txt larger than SCRAPER_MAX_BYTES whose second line disallows everything. */
const bigRobots = "User-agent: *\nDisallow: /\n" + "# a comment line that pads the file past the byte limit\n".repeat(Math.ceil((MAX_BYTES + 1_000_000) / 56))

const DEPTH = 100_000
const deepPage = html(
  '<!doctype html><html><head><meta charset="utf-8"><title>Deep Nesting</title></head><body><main>' +
    "<p>Deep Nesting builds warehouse robotics software.</p>" +
    "<div><span>".repeat(DEPTH) +
    "bottom of the well" +
    "</span></div>".repeat(DEPTH) +
    "</main></body></html>"
)

const hostile: Readonly<Record<string, FixtureSite>> = {
  "nul-page-fault.com": siteWith({ "/": nulPage }),
  "big-robots-fault.com": siteWith({
    "/robots.txt": { status: 200, headers: { "content-type": "text/plain" }, body: bigRobots },
    "/": simplePage("Big Robots", "This homepage must never be fetched.")
  }),
  "robots-503-fault.com": siteWith({
    "/robots.txt": { status: 503, headers: { "content-type": "text/plain" }, body: "maintenance" },
    "/": simplePage("Robots 503", "This homepage must never be fetched.")
  }),
  "huge-header-fault.com": siteWith({ "/": hugeHeader(200_000, htmlPage({ title: "Huge Header", body: "Header overflow." })) }),
  "deep-page-fault.com": siteWith({ "/": deepPage }),
  "nul-field-fault.com": siteWith({ "/": simplePage("Nulfield Logistics", "Freight software with a NUL in its CSV row.") })
}

const good = ["co-00001.com", "co-00002.com", "co-00003.com"]
const nulPitch = "co-00021.com"
const noChoices = "co-00022.com"
const contradicting = "co-00023.com"

const PITCH_WITH_NUL = "Nul Pitch Co, automate\u0000 your freight with CommonForge."

const llmFaults: LlmFaults = {
  [nulPitch]: (r) => ({ type: "object", value: { ...validObject(r), personalized_pitch: PITCH_WITH_NUL } }),
  [noChoices]: () => ({
    type: "status",
    status: 200,
    body: { id: "chatcmpl-empty", object: "chat.completion", created: 1, model: "fake-model", choices: [], usage: { prompt_tokens: 1, completion_tokens: 0, total_tokens: 1 } }
  }),
  [contradicting]: (r) => ({ type: "object", value: { ...validObject(r), segment: "Enterprise" } })
}

const csvLines = [
  ...good.map((d, i) => `Good Company ${i + 1},${d},US,240,Software`),
  `Nul Pitch Co,${nulPitch},US,640,Logistics`,
  `No Choices Co,${noChoices},US,85,Software`,
  `Contradicting Co,${contradicting},US,450,Software`,
  ...Object.keys(hostile)
    .filter((d) => d !== "nul-field-fault.com")
    .map((d) => `${d.replace(/-fault\.com$/, "").replace(/-/g, " ")} co,${d},US,120,Software`),
  // A NUL in an accepted row's fields, and in a rejected row next to another rejected row.
  "Nul\u0000field Logistics,nul-field-fault.com,US,120,Soft\u0000ware",
  "Bad\u0000 Row,not a\u0000 domain,US,10,Retail",
  ",empty-name-fault.com,US,10,Retail"
]

/** A company's row; an empty one (every check on it fails, softly) when it is missing. */
const companyOf = (outcome: RunOutcome, domain: string): CompanyRow => outcome.companies.get(domain) ?? ({ domain } as CompanyRow)

const resumeNotice = /no unfinished run to resume: starting a new run/

const noticeLines = (stderr: string) => stderr.split("\n").filter((line) => resumeNotice.test(line))

describe(`fault matrix: issue 15 hardening (${testDatabaseKind} database)`, () => {
  it.scoped(
    "--resume with nothing to resume runs every fault to its documented end; a second --resume redoes only retryable failures",
    () =>
      Effect.gen(function* () {
        const { sites, llm, dir, csv, db } = yield* startFaultWorld({ name: "faults-hardening", hostile, llmFaults, csvLines })
        const env = {
          ...fixtureEnv({ sitesPort: sites.port, llmUrl: llm.url }),
          SCRAPER_TIMEOUT: "5",
          SCRAPER_MAX_RETRIES: "0",
          SCRAPER_MAX_BYTES: String(MAX_BYTES),
          SCRAPER_CONCURRENCY: "16",
          LLM_MAX_RETRIES: "0",
          CONCURRENT_LLM_CALLS: "4",
          ...db
        }

        const outcome = yield* runAndRead(["--resume", "--input", csv], env, dir, db)
        expect(outcome.code, outcome.stderr).toBe(0)
        // --resume with nothing to resume: a new run, said in one log line.
        expect.soft(noticeLines(outcome.stderr)).toHaveLength(1)
        expect.soft(outcome.runs).toEqual([{ id: 1, status: "succeeded" }])

        // Nothing lost, NUL-bearing rows included.
        const lines = dataLines(csv)
        const input = outcome.summary.input
        expect.soft(input.lines_read).toBe(lines)
        expect.soft(input.lines_read).toBe(input.accepted + input.rejected + input.duplicates)
        expect.soft({ accepted: input.accepted, rejected: input.rejected, duplicates: input.duplicates }).toEqual({
          accepted: lines - 2,
          rejected: 2,
          duplicates: 0
        })
        expect.soft(outcome.companies.size).toBe(input.accepted)
        expect.soft(outcome.companies.size + outcome.rejected.length).toBe(lines)
        expect.soft(outcome.rejected.map((r) => ({ line: r.line_number, reason: r.reason }))).toEqual([
          { line: lines, reason: "InvalidDomain" },
          { line: lines + 1, reason: "EmptyCompanyName" }
        ])
        expect.soft(JSON.stringify(outcome.rejected)).not.toMatch(/\\u0000|\u0000/)
        const stuck = [...outcome.items.values()].filter((i) => !["succeeded", "failed", "skipped"].includes(i.status))
        expect.soft(stuck).toEqual([])

        // A NUL in an accepted CSV field is stripped.
        const nulField = companyOf(outcome, "nul-field-fault.com")
        expect.soft({ name: nulField.company_name, industry: nulField.industry_raw }).toEqual({ name: "Nulfield Logistics", industry: "Software" })
        expect.soft(nulField.scraping_status).toBe("success")

        for (const domain of good) {
          const company = companyOf(outcome, domain)
          expect.soft({ domain, scrape: company.scraping_status, enrich: company.enrichment_status }).toEqual({
            domain,
            scrape: "success",
            enrich: "success"
          })
          expect.soft(company.website_text_snippet).toContain("AI automation platform for operations teams")
        }

        // A NUL in a page: scraped, stored without U+0000.
        const nul = companyOf(outcome, "nul-page-fault.com")
        expect.soft({ scrape: nul.scraping_status, enrich: nul.enrichment_status }).toEqual({ scrape: "success", enrich: "success" })
        expect.soft(nul.website_text_snippet).not.toContain("\u0000")
        expect.soft(nul.website_text_snippet).toMatch(/Logistics SaaS ?platform with APIs\./)
        expect.soft(outcome.scrapes.get("nul-page-fault.com")?.text).not.toContain("\u0000")

        const homepageRequests = (host: string) => sites.log().filter((r) => r.host === host && r.path !== "/robots.txt").length
        const robotsRequests = (host: string) => sites.log().filter((r) => r.host === host && r.path === "/robots.txt").length

        // robots.txt past SCRAPER_MAX_BYTES: its first 500 KiB are read, and they disallow everything.
        const bigRobotsCompany = companyOf(outcome, "big-robots-fault.com")
        expect.soft(bigRobotsCompany.scraping_status).toBe("skipped")
        expect.soft(bigRobotsCompany.scraping_error).toMatch(/^RobotsDisallowed: /)
        expect.soft(outcome.items.get("scrape big-robots-fault.com")).toMatchObject({ status: "skipped", error_kind: "RobotsDisallowed", retryable: false })
        expect.soft(homepageRequests("big-robots-fault.com")).toBe(0)

        // robots.txt answering 503: disallowed for this run, the homepage never requested, tried again next run.
        const robots503 = companyOf(outcome, "robots-503-fault.com")
        expect.soft(robots503.scraping_status).toBe("failed")
        expect.soft(robots503.scraping_error).toMatch(/^RobotsUnavailable: .*HTTP 503/)
        expect.soft(outcome.items.get("scrape robots-503-fault.com")).toMatchObject({ status: "failed", error_kind: "RobotsUnavailable", retryable: true })
        expect.soft(homepageRequests("robots-503-fault.com")).toBe(0)

        // A 200 KB response header.
        const header = companyOf(outcome, "huge-header-fault.com")
        expect.soft(header.scraping_status).toBe("failed")
        expect.soft(header.scraping_error).toMatch(/^HeaderTooLarge: /)
        expect.soft(outcome.items.get("scrape huge-header-fault.com")).toMatchObject({ status: "failed", error_kind: "HeaderTooLarge", retryable: false })

        // 100,000 nested elements: either extracted or stopped by the page budget; never a stall of the others
        // (which all finished above).
        const deep = companyOf(outcome, "deep-page-fault.com")
        const deepItem = outcome.items.get("scrape deep-page-fault.com") ?? ({} as Partial<RunItemRow>)
        if (deep.scraping_status === "success") {
          expect.soft(deep.website_text_snippet).toContain("Deep Nesting builds warehouse robotics software.")
          expect.soft(deep.website_text_snippet).toContain("bottom of the well")
          expect.soft(deepItem.status).toBe("succeeded")
        } else {
          expect.soft({ status: deep.scraping_status, kind: deepItem.error_kind, retryable: deepItem.retryable }).toEqual({
            status: "failed",
            kind: "ExtractionTimeout",
            retryable: false
          })
          expect.soft(deep.scraping_error).toMatch(/^ExtractionTimeout: /)
        }

        // A pitch with U+0000 from the LLM: stored without it.
        const pitch = companyOf(outcome, nulPitch)
        expect.soft({ status: pitch.enrichment_status, pitch: pitch.personalized_pitch }).toEqual({
          status: "success",
          pitch: "Nul Pitch Co, automate your freight with CommonForge."
        })

        // An empty `choices` array: a failed enrichment with one readable sentence, not a schema dump.
        const empty = companyOf(outcome, noChoices)
        expect.soft({ status: empty.enrichment_status, kind: empty.enrichment_error_kind }).toEqual({ status: "failed", kind: "ServerError" })
        expect.soft(empty.enrichment_error).toContain("the server answered 200 with no choices")
        expect.soft(empty.enrichment_error).not.toMatch(/Expected|└─|NonEmptyArray|readonly \[/)
        expect.soft(outcome.items.get(`enrich ${noChoices}`)).toMatchObject({ status: "failed", error_kind: "ServerError", retryable: true })

        // A segment contradicting the head count (450 employees answered "Enterprise") follows the ICP's bands.
        const segment = companyOf(outcome, contradicting)
        expect.soft({ status: segment.enrichment_status, employees: segment.employee_count, segment: segment.segment }).toEqual({
          status: "success",
          employees: 450,
          segment: "Mid-Market"
        })
        expect.soft((segment.risk_flags ?? []).some((flag) => /Enterprise/.test(flag) && /Mid-Market/.test(flag))).toBe(true)

        // The enrichment cache holds no U+0000 either (Postgres would refuse it in jsonb, failing the run).
        const cached = yield* withDatabase(db, (sql) => sql<{ output: string }>`SELECT output::text AS output FROM enrichments WHERE domain = ${nulPitch}`)
        expect.soft(cached).toHaveLength(1)
        expect.soft(cached[0]?.output).toContain("Nul Pitch Co, automate your freight with CommonForge.")

        // The summary counts what the tables hold (the robots.txt skip is a skip, not a failure).
        const failures = Object.fromEntries(
          ((outcome.summary.failures ?? []) as Array<{ stage: string; error_kind: string; count: number }>).map((f) => [`${f.stage} ${f.error_kind}`, f.count])
        )
        const deepFailed = deep.scraping_status === "success" ? {} : { "scrape ExtractionTimeout": 1 }
        expect.soft(failures).toEqual({
          "scrape RobotsUnavailable": 1,
          "scrape HeaderTooLarge": 1,
          "enrich ServerError": 1,
          ...deepFailed
        })
        expect.soft(outcome.summary.stages?.scrape?.skipped).toBe(1)
        expect.soft(outcome.summary.stored).toBe(outcome.companies.size)

        // The scheduled command again, after a finished run: a new run on the same input, exit 0. Finished
        // companies cost no fetch and no LLM call; the retryable failures are tried again.
        const llmBefore = llm.requests().length
        const sitesBefore = sites.log().length
        const robots503Before = robotsRequests("robots-503-fault.com")
        const again = yield* runAndRead(["--resume", "--input", csv], env, dir, db)
        expect.soft(again.code, again.stderr).toBe(0)
        expect.soft(noticeLines(again.stderr)).toHaveLength(1)
        expect.soft(again.runs).toEqual([
          { id: 1, status: "succeeded" },
          { id: 2, status: "succeeded" }
        ])
        const llmDomains = llm.requests().slice(llmBefore).map((r) => r.company?.company.domain)
        expect.soft([...new Set(llmDomains)]).toEqual([noChoices])
        const fetched = sites.log().slice(sitesBefore).map((r) => `${r.host}${r.path}`)
        expect.soft([...new Set(fetched)]).toEqual(["robots-503-fault.com/robots.txt"])
        expect.soft(robotsRequests("robots-503-fault.com")).toBe(robots503Before + 1)
        // The second run changed nothing it did not redo.
        const after = yield* readOutcome(db, 2)
        expect.soft(after.companies.size).toBe(outcome.companies.size)
        expect.soft(after.companies.get(good[0]!)).toEqual(companyOf(outcome, good[0]!))
        expect.soft(after.companies.get(noChoices)?.enrichment_error_kind).toBe("ServerError")
      }),
    300_000
  )
})
