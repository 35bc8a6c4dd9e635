import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import { chromium, type Browser } from "playwright-core"
import { apiKeyOption, TestApi, TestApiLive } from "./support/ApiTestServer.js"
import { testDatabaseKind } from "./support/TestDatabase.js"

const CHROMIUM = "/usr/bin/chromium"
const hasChromium = fs.existsSync(CHROMIUM)
if (!hasChromium) {
  console.warn(`skipping the /docs browser test: ${CHROMIUM} is not installed (apt-get install chromium; .ci/run does)`)
}

const withBrowser = <A>(use: (browser: Browser) => Promise<A>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] })),
    (browser) => Effect.promise(() => use(browser)),
    (browser) => Effect.promise(() => browser.close())
  )

/** Loads /docs as a user would and returns what the reference lists, and every URL the page asked for. */
const openDocs = (url: string, headers: Record<string, string> = {}) =>
  withBrowser(async (browser) => {
    const context = await browser.newContext({ extraHTTPHeaders: headers })
    const page = await context.newPage()
    const requested: Array<string> = []
    page.on("request", (request) => requested.push(request.url()))
    const errors: Array<string> = []
    page.on("pageerror", (error) => errors.push(error.message))
    const response = await page.goto(`${url}/docs`, { waitUntil: "load" })
    await page.getByText("List companies").first().waitFor({ timeout: 30_000 })
    const text = await page.locator("body").innerText()
    return { status: response?.status(), text, requested, errors, title: await page.title() }
  })

describe.skipIf(!hasChromium)(`/docs in headless Chromium (${testDatabaseKind})`, () => {
  layer(TestApiLive(), { timeout: "180 seconds", excludeTestServices: true })((it) => {
    it.effect("the reference page loads offline and lists every endpoint", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const docs = yield* openDocs(api.url)
        expect(docs.status).toBe(200)
        expect(docs.title).toBe("CommonForge Lead Scoring API")
        for (const summary of [
          "List companies",
          "Export companies as CSV",
          "Get a company",
          "Find a company by domain",
          "List pipeline runs, newest first",
          "Health check, including the database"
        ]) {
          expect(docs.text, summary).toContain(summary)
        }
        const offsite = docs.requested.filter((u) => !u.startsWith(api.url) && !u.startsWith("data:") && !u.startsWith("blob:"))
        expect(offsite).toEqual([])
        expect(docs.requested).toContain(`${api.url}/docs/scalar.js`)
        expect(docs.requested).toContain(`${api.url}/openapi.json`)
      }))

    it.effect("every GET the reference documents answers when tried as the reference sends it (empty optional parameters)", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const results = yield* withBrowser(async (browser) => {
          const page = await browser.newPage()
          await page.goto(`${api.url}/docs`, { waitUntil: "load" })
          return page.evaluate(async () => {
            const document: any = await (await fetch("/openapi.json")).json()
            const out: Array<[string, number]> = []
            for (const [template, item] of Object.entries<any>(document.paths)) {
              const operation = item.get
              if (!operation) continue
              const path = template.replace("{id}", "1").replace("{domain}", "acme.com")
              const query = (operation.parameters ?? [])
                .filter((p: any) => p.in === "query")
                .map((p: any) => `${encodeURIComponent(p.name)}=`)
                .join("&")
              const response = await fetch(query ? `${path}?${query}` : path, { headers: { accept: "application/json" } })
              out.push([`${path}?${query}`, response.status])
            }
            return out
          })
        })
        expect(results.length).toBeGreaterThan(8)
        for (const [url, status] of results) expect([200, 404], url).toContain(status)
      }))

    it.scoped("with API_KEY and public docs, the page still renders", () =>
      Effect.gen(function* () {
        const api = yield* TestApi
        const url = yield* api.startAnother({ apiKey: apiKeyOption("docs-key"), docsPublic: true })
        const docs = yield* openDocs(url)
        expect(docs.text).toContain("List companies")
      }))
  })
})
