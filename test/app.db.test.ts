import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { parse as parseCsv } from "csv-parse/sync"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { chromium, type BrowserContext, type Page } from "playwright-core"
import { ApiServicesLayer } from "../src/api/ApiLayer.js"
import { makeApp, type ApiRuntime } from "../src/api/makeApp.js"
import { startApiServer } from "../src/api/startApiServer.js"
import { DatabaseLive } from "../src/db/Database.js"
import { startFakeLlmServer } from "./support/fakeLlmServer.js"
import { startFixtureSites } from "./support/fixtureSites.js"
import { companySite, writeCompaniesCsv } from "./support/companySites.js"
import { fixtureEnv, repoRoot, runCli } from "./support/pipelineHarness.js"
import { configFrom, freshDatabaseEnv, makeTempDir, testDatabaseKind } from "./support/TestDatabase.js"

/** Browser globals, for the functions evaluated in the page (this project compiles without the DOM lib). */
declare const document: any
declare const window: any

const CHROMIUM = "/usr/bin/chromium"
const hasChromium = fs.existsSync(CHROMIUM)
if (!hasChromium) {
  console.warn(`skipping the leads workspace browser test: ${CHROMIUM} is not installed (apt-get install chromium; .ci/run does)`)
}

const COMPANIES = 36
const OUT = path.join(repoRoot, "test/.out")

/** The API of `pnpm serve`, in this process, on the database `db` points at; stopped by `close`. */
const startApi = async (db: Record<string, string>) => {
  const runtime: ApiRuntime = ManagedRuntime.make(
    ApiServicesLayer.pipe(Layer.provideMerge(DatabaseLive), Layer.provide(configFrom(db)), Layer.provideMerge(Logger.minimumLogLevel(LogLevel.Warning)))
  )
  await runtime.runtime()
  const server = await startApiServer(makeApp(runtime, { corsOrigins: [], apiKey: Option.none(), docsPublic: false }), { host: "127.0.0.1", port: 0 })
  const url = `http://127.0.0.1:${server.port}`
  return {
    url,
    api: async (p: string) => (await fetch(`${url}${p}`)).json() as Promise<any>,
    sql: <A>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) => runtime.runPromise(Effect.flatMap(SqlClient.SqlClient, f)),
    close: async () => {
      await server.close(1000)
      await runtime.dispose()
    }
  }
}

const rowIds = (page: Page) => page.locator("tbody tr[data-id]").evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-id"))))
const apiIds = (body: { companies: Array<{ id: number }> }) => body.companies.map((c) => c.id)

/** Tabs forward until the focused element matches, as a keyboard user would; fails after `limit` presses. */
const tabTo = async (page: Page, matches: (el: { tag: string; name: string; text: string }) => boolean, limit = 60) => {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab")
    const el = await page.evaluate(() => {
      const a = document.activeElement
      return { tag: a?.tagName.toLowerCase() ?? "", name: a?.getAttribute("name") ?? "", text: (a?.textContent ?? "").trim() }
    })
    if (matches(el)) return
  }
  throw new Error("focus never reached the element by Tab")
}

describe.skipIf(!hasChromium)(`leads workspace in headless Chromium (${testDatabaseKind})`, () => {
  it.scoped(
    "filter, sort, page, open a company, override it, survive a re-run, export the view; keyboard only; no console error",
    () =>
      Effect.gen(function* () {
        const sites = yield* startFixtureSites({ sites: companySite, latencyMs: 2 })
        const llm = yield* startFakeLlmServer({ latencyMs: 5 })
        const dir = makeTempDir("app")
        yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
        const csv = writeCompaniesCsv(path.join(dir, "companies.csv"), COMPANIES)
        const db = yield* freshDatabaseEnv
        const env = { ...fixtureEnv({ sitesPort: sites.port, llmUrl: llm.url }), SCRAPER_MAX_RETRIES: "0", ...db }
        const first = yield* runCli(["--input", csv], env, dir)
        expect(first.code, first.stderr).toBe(0)

        fs.mkdirSync(OUT, { recursive: true })
        const profile = makeTempDir("chromium-profile")
        yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(profile, { recursive: true, force: true })))
        const context: BrowserContext = yield* Effect.acquireRelease(
          Effect.promise(() =>
            chromium.launchPersistentContext(profile, {
              executablePath: CHROMIUM,
              headless: true,
              acceptDownloads: true,
              viewport: { width: 1280, height: 900 },
              args: [
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync"
              ]
            })
          ),
          (c) => Effect.promise(() => c.close())
        )
        const page = context.pages()[0] ?? (yield* Effect.promise(() => context.newPage()))
        const problems: Array<string> = []
        const offsite: Array<string> = []
        page.on("console", (message) => {
          if (message.type() === "error") problems.push(`console: ${message.text()}`)
        })
        page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`))
        page.on("request", (request) => {
          if (!request.url().startsWith("http://127.0.0.1:") && !request.url().startsWith("data:")) offsite.push(request.url())
        })

        let server = yield* Effect.promise(() => startApi(db))
        yield* Effect.addFinalizer(() => Effect.promise(() => server.close().catch(() => undefined)))

        yield* Effect.promise(async () => {
          // The list, reached from / as a browser; filtered by keyboard alone.
          await page.goto(`${server.url}/`)
          expect(new URL(page.url()).pathname).toBe("/app")
          expect(await page.title()).toContain("Leads")
          const facets = await server.api("/companies/facets?country=USA")
          const segment = facets.segment[0].value as string
          await page.locator("body").focus()
          await tabTo(page, (el) => el.name === "segment")
          await page.keyboard.type(segment.slice(0, 2))
          expect(await page.locator("select[name=segment]").inputValue()).toBe(segment)
          await tabTo(page, (el) => el.name === "country", 3)
          await page.keyboard.type("USA")
          await tabTo(page, (el) => el.text === "Apply filters")
          await Promise.all([page.waitForURL(/segment=/), page.keyboard.press("Enter")])
          const filtered = new URL(page.url()).searchParams
          expect(filtered.get("country")).toBe("USA")
          expect(filtered.get("segment")).toBe(segment)
          const expected = await server.api(`/companies?country=USA&segment=${encodeURIComponent(segment)}`)
          expect(expected.total).toBeGreaterThan(2)
          expect(await rowIds(page)).toEqual(apiIds(expected))
          expect(expected.companies.every((c: { country_code: string }) => c.country_code === "US")).toBe(true)

          // Sort on a column header, then page with the API's cursor.
          await page.locator("thead a", { hasText: "Company" }).click()
          await page.waitForURL(/sort=name/)
          const byName = await server.api(`/companies?country=USA&segment=${encodeURIComponent(segment)}&sort=name`)
          expect(await rowIds(page)).toEqual(apiIds(byName))
          await page.goto(`${page.url()}&limit=2`)
          const pageOne = await server.api(`/companies?country=USA&segment=${encodeURIComponent(segment)}&sort=name&limit=2`)
          expect(await rowIds(page)).toEqual(apiIds(pageOne))
          await page.getByRole("link", { name: "Next page »" }).click()
          await page.waitForURL(/cursor=/)
          const pageTwo = await server.api(`/companies?country=USA&segment=${encodeURIComponent(segment)}&sort=name&limit=2&cursor=${pageOne.next_cursor}`)
          expect(await rowIds(page)).toEqual(apiIds(pageTwo))
          await page.getByRole("link", { name: "« First page" }).click()
          await page.waitForURL((u) => !u.searchParams.has("cursor"))
          await page.screenshot({ path: path.join(OUT, "leads-list.png"), fullPage: true })

          // Keyboard to the first company.
          await page.locator("body").focus()
          await tabTo(page, (el) => el.tag === "a" && /^Company \d+$/.test(el.text), 120)
          await Promise.all([page.waitForURL(/\/app\/companies\/\d+$/), page.keyboard.press("Enter")])
        })

        const companyUrl = new URL(page.url()).pathname
        const companyId = Number(companyUrl.split("/").pop())
        yield* Effect.promise(async () => {
          const marks = page.locator(".website-text mark")
          expect(await marks.count()).toBeGreaterThan(0)
          const company = await server.api(`/companies/${companyId}`)
          const verified = company.score_rationale.filter((r: { verified: boolean }) => r.verified).map((r: { quote: string }) => r.quote.toLowerCase())
          expect(verified.length).toBeGreaterThan(0)
          expect(verified).toContain((await marks.first().innerText()).toLowerCase().replace(/\s+/g, " "))
          await page.screenshot({ path: path.join(OUT, "company-page.png"), fullPage: true })

          await page.fill("input[name=score]", "97")
          await page.selectOption("select[name=status]", "qualified")
          await page.fill("textarea[name=note]", "Call back in May <b>not bold</b>")
          await page.fill("input[name=author]", "e2e")
          await Promise.all([page.waitForURL(/saved=1/), page.getByRole("button", { name: "Save override" }).click()])
          await page.reload()
          expect(await page.locator("input[name=score]").inputValue()).toBe("97")
          expect(await page.locator("select[name=status]").inputValue()).toBe("qualified")
          expect(await page.locator("#override-note").innerText()).toBe("Call back in May <b>not bold</b>")
          expect(await page.locator("h1 .badge").innerText()).toContain("97")
        })

        // A re-run of merge, enrich and persist on the same data writes every company again.
        const before = yield* Effect.promise(() => server.sql((sql) => sql<{ updated_at: Date }>`SELECT updated_at FROM companies WHERE id = ${companyId}`))
        yield* Effect.promise(() => server.close())
        const rerun = yield* runCli(["--input", csv, "--only", "merge,enrich,persist"], env, dir)
        expect(rerun.code, rerun.stderr).toBe(0)
        server = yield* Effect.promise(() => startApi(db))
        yield* Effect.promise(async () => {
          const after = await server.sql((sql) => sql<{ updated_at: Date }>`SELECT updated_at FROM companies WHERE id = ${companyId}`)
          expect(after[0]!.updated_at.getTime()).toBeGreaterThan(before[0]!.updated_at.getTime())
          await page.goto(`${server.url}${companyUrl}`)
          expect(await page.locator("input[name=score]").inputValue()).toBe("97")
          expect(await page.locator("#override-note").innerText()).toBe("Call back in May <b>not bold</b>")
          const company = await server.api(`/companies/${companyId}`)
          expect(company.override).toMatchObject({ score: 97, status: "qualified", author: "e2e" })
          expect(company.effective.score).toBe(97)

          // Export this view: the same rows as the API's listing, in order, with both values.
          await page.goto(`${server.url}/app?country=USA&sort=-score`)
          const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export this view (CSV)" }).click()])
          const file = path.join(OUT, "export.csv")
          await download.saveAs(file)
          const records = parseCsv(fs.readFileSync(file, "utf8"), { columns: true }) as Array<Record<string, string>>
          const listed = await server.api("/companies?country=USA&sort=-score&limit=500")
          expect(records.map((r) => Number(r.id))).toEqual(apiIds(listed))
          const exported = records.find((r) => Number(r.id) === companyId)!
          expect(exported).toMatchObject({ override_score: "97", effective_score: "97", qualification_status: "qualified" })
          expect(exported.icp_fit_score).toBe(String(company.icp_fit_score))

          // Runs page, following a run's progress without reloading.
          await page.goto(`${server.url}/app/runs`)
          expect(await page.locator("tr[data-run]").count()).toBe(2)
          await page.locator("#live-status", { hasText: "Live" }).waitFor({ timeout: 30_000 })
          await server.sql(
            (sql) => sql`
              WITH r AS (INSERT INTO runs (status, input_path, input_sha256) VALUES ('running', 'live.csv', 'feed') RETURNING id)
              INSERT INTO run_stages (run_id, stage, status, total, done) SELECT id, 'enrich', 'running', 10, 3 FROM r`
          )
          await page.locator("tr[data-run]", { hasText: "live.csv" }).waitFor({ timeout: 30_000 })
          expect(await page.locator("tr[data-run]", { hasText: "live.csv" }).innerText()).toContain("3 done")
          await server.sql((sql) => sql`UPDATE run_stages SET done = 7 WHERE run_id = (SELECT max(id) FROM runs)`)
          await page.locator("tr[data-run]", { hasText: "7 done" }).waitFor({ timeout: 30_000 })

          // Narrow screens: the list still reads at 375 px.
          await page.setViewportSize({ width: 375, height: 800 })
          await page.goto(`${server.url}/app?country=USA`)
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
          expect(overflow).toBeLessThanOrEqual(0)
          await page.screenshot({ path: path.join(OUT, "leads-list-375.png"), fullPage: true })
        })

        expect(problems).toEqual([])
        expect(offsite).toEqual([])
        console.log(`screenshots: ${["leads-list.png", "company-page.png", "leads-list-375.png"].map((f) => path.join(OUT, f)).join(", ")}`)
      }),
    { timeout: 240_000 }
  )
})
