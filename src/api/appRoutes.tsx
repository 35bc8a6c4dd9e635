import { Effect, Either, Option, ParseResult, Schema } from "effect"
import { Hono, type Context } from "hono"
import { streamSSE } from "hono/streaming"
import type { ApiServices } from "./ApiLayer.js"
import { appAssets } from "./app/appAssets.js"
import { CompanyPage, type OverrideFormValues } from "./app/CompanyPage.js"
import { Layout, type Thresholds } from "./app/Layout.js"
import { filterParams, LeadsPage, type ViewParams } from "./app/LeadsPage.js"
import { LoginPage } from "./app/LoginPage.js"
import { RunPage, RunsPage, RunsTable } from "./app/RunsPage.js"
import * as CachePolicy from "./cachePolicy.js"
import { CompaniesVersion } from "./CompaniesVersion.js"
import { CompanyListQuery, companyListRequest } from "./CompanyListQuery.js"
import { CompanyOverrides } from "./CompanyOverrides.js"
import { CompanyQueries } from "./CompanyQueries.js"
import { encodedBody, negotiate, type EncodedBody } from "./EncodedBody.js"
import { OverridePatch } from "./OverridePatch.js"
import { CSRF_FIELD, type PageSession } from "./PageSession.js"
import type { Company, RunDetail } from "./ResponseSchemas.js"
import type { RouteKit } from "./RouteKit.js"
import { RunQueries } from "./RunQueries.js"
import { makeVersionedCache } from "./VersionedCache.js"

type CompanyJson = typeof Company.Type

export interface AppPagesOptions extends Thresholds {
  readonly session: PageSession
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Scripts and styles only from this server; no framing; nothing is sent elsewhere. */
const pageHeaders = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin"
}

const render = (element: unknown) =>
  Effect.promise(async () => `<!DOCTYPE html>${await Promise.resolve((element as { toString(): string | Promise<string> }).toString())}`)

const htmlBytes = (c: Context, body: EncodedBody, status = 200, extra: Record<string, string> = {}) =>
  Effect.promise(() => negotiate(body, c.req.header("accept-encoding"))).pipe(
    Effect.map(({ bytes, headers }) => new Response(bytes, { status, headers: { ...pageHeaders, "cache-control": CachePolicy.noStore, ...headers, ...extra } }))
  )

const html = (c: Context, text: string, status = 200, extra: Record<string, string> = {}) => htmlBytes(c, encodedBody(encoder.encode(text)), status, extra)

const redirect = (location: string, extra: Record<string, string> = {}) =>
  new Response(null, { status: 303, headers: { location, "cache-control": CachePolicy.noStore, ...extra } })

const viewKeys = new Set<string>([...filterParams, "sort", "cursor", "limit"])

const viewParams = (c: Context): ViewParams => {
  const params: Record<string, string> = {}
  for (const [key, value] of Object.entries(c.req.query())) if (viewKeys.has(key) && value.trim() !== "") params[key] = value
  return params
}

const describeIssues = (error: ParseResult.ParseError) =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`)
    .join("; ")

const decodeList = Schema.decodeUnknownEither(CompanyListQuery, { errors: "all", onExcessProperty: "ignore" })
const decodePatch = Schema.decodeUnknownEither(OverridePatch, { errors: "all", onExcessProperty: "error" })

const isSecure = (c: Context) => new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https"

/** Only back into the workspace, never to another site. */
const safeNext = (next: unknown) => (typeof next === "string" && /^\/app(?:[/?]|$)/.test(next) && !next.startsWith("//") ? next : "/app")

const MAX_CACHED_PAGES = 500
const RUNS_SHOWN = 20
const LIVE_INTERVAL_MS = 1000

/** /app: the leads workspace, server-rendered pages over the same services as the API. */
export const appRoutes = (kit: RouteKit, options: AppPagesOptions) => {
  const routes = new Hono({ strict: false })
  const { session } = options
  const thresholds: Thresholds = { hotScore: options.hotScore, warmScore: options.warmScore }
  const logoutCsrf = session.required ? session.csrfToken : undefined
  // A list page is the same for everyone at one data version: kept rendered until the data changes
  // (with the API's pages, within API_CACHE_MB).
  const listPages = makeVersionedCache<EncodedBody>({
    maxEntries: MAX_CACHED_PAGES,
    maxBytes: 64 * 1024 * 1024,
    sizeOf: (body) => body.bytes.byteLength * 2 + 64
  })

  const run = (effect: Effect.Effect<Response, unknown, ApiServices>) => kit.run(effect)

  routes.get("/assets/:name", (c) => {
    const asset = appAssets[c.req.param("name") as keyof typeof appAssets]
    if (!asset) return c.notFound()
    const gzip = /\bgzip\b/.test(c.req.header("accept-encoding") ?? "")
    return new Response(gzip ? asset.gzipped : asset.body, {
      headers: {
        "content-type": asset.type,
        "cache-control": CachePolicy.staticAsset,
        vary: "Accept-Encoding",
        "x-content-type-options": "nosniff",
        ...(gzip ? { "content-encoding": "gzip" } : {})
      }
    })
  })

  routes.get("/", (c) =>
    run(
      Effect.gen(function* () {
        const params = viewParams(c)
        const key = JSON.stringify(params)
        const queries = yield* CompanyQueries
        const version = yield* (yield* CompaniesVersion).current
        const cached = queries.cacheBytes > 0 ? listPages.get(key, version) : undefined
        if (cached) return yield* htmlBytes(c, cached)
        const decoded = decodeList(params)
        const query = Either.isRight(decoded) ? decoded.right : Either.getOrThrow(decodeList({}))
        const error = Either.isLeft(decoded) ? `These filters cannot be applied: ${describeIssues(decoded.left)}` : undefined
        const request = companyListRequest(query)
        const [page, facets] = yield* Effect.all([queries.list(request), queries.facets(request.filters)], { concurrency: 2 })
        const body = JSON.parse(decoder.decode(page.body.bytes)) as { total: number; companies: Array<CompanyJson>; next_cursor: string | null }
        const text = yield* render(
          <LeadsPage params={Either.isRight(decoded) ? params : {}} error={error} page={body} facets={facets} thresholds={thresholds} logoutCsrf={logoutCsrf} />
        )
        const encoded = encodedBody(encoder.encode(text))
        if (!error && queries.cacheBytes > 0) listPages.set(key, version, encoded)
        return yield* htmlBytes(c, encoded, error ? 400 : 200)
      })
    )
  )

  const NotFoundPage = (props: { readonly message: string }) => (
    <Layout title="Not found" section="leads" logoutCsrf={logoutCsrf}>
      <h1>Not found</h1>
      <p>{props.message}</p>
      <p>
        <a href="/app">Back to the leads</a>
      </p>
    </Layout>
  )

  const positiveId = (raw: string) => (/^\d{1,15}$/.test(raw) && Number(raw) >= 1 ? Number(raw) : undefined)

  const companyPage = (
    c: Context,
    id: number,
    extra: { readonly notice?: string; readonly error?: string; readonly form?: OverrideFormValues; readonly status?: number } = {}
  ) =>
    Effect.gen(function* () {
      const queries = yield* CompanyQueries
      const found = yield* queries.byId(id)
      if (Option.isNone(found)) return yield* html(c, yield* render(<NotFoundPage message={`There is no company ${id}.`} />), 404)
      const company = JSON.parse(found.value) as CompanyJson
      const [scrape, enrichments, overrides] = yield* Effect.all(
        [queries.scrapeOf(company.domain), queries.enrichmentHistory(id), (yield* CompanyOverrides).history(id)],
        { concurrency: 3 }
      )
      const text = yield* render(
        <CompanyPage
          company={company}
          scrape={scrape}
          enrichments={enrichments}
          overrides={overrides}
          thresholds={thresholds}
          csrf={session.csrfToken}
          logoutCsrf={logoutCsrf}
          notice={extra.notice}
          error={extra.error}
          form={extra.form}
        />
      )
      return yield* html(c, text, extra.status ?? 200)
    })

  routes.get("/companies/:id", (c) => {
    const id = positiveId(c.req.param("id"))
    return run(
      id === undefined
        ? Effect.flatMap(render(<NotFoundPage message="A company id is a positive integer." />), (text) => html(c, text, 404))
        : companyPage(c, id, c.req.query("saved") === "1" ? { notice: "Override saved." } : c.req.query("cleared") === "1" ? { notice: "Override cleared: the model's values apply." } : {})
    )
  })

  routes.post("/companies/:id/override", (c) =>
    run(
      Effect.gen(function* () {
        const id = positiveId(c.req.param("id"))
        if (id === undefined) return yield* html(c, yield* render(<NotFoundPage message="A company id is a positive integer." />), 404)
        const form = yield* Effect.promise(() => c.req.parseBody().catch(() => ({}) as Record<string, unknown>))
        const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : "")
        if (!session.checkCsrf(field(CSRF_FIELD))) {
          return yield* companyPage(c, id, { error: "This form has expired (the server restarted or the key changed); reload the page and try again.", status: 403 })
        }
        const author = field("author").trim() || "workspace"
        const overrides = yield* CompanyOverrides
        if (field("action") === "clear") {
          const cleared = yield* overrides.clear(id, author)
          if (Option.isNone(cleared)) return yield* html(c, yield* render(<NotFoundPage message={`There is no company ${id}.`} />), 404)
          return redirect(`/app/companies/${id}?cleared=1`)
        }
        const values: OverrideFormValues = { score: field("score").trim(), segment: field("segment"), status: field("status"), note: field("note"), author: field("author") }
        const patch = decodePatch({
          score: values.score === "" ? null : /^\d{1,3}$/.test(values.score) ? Number(values.score) : values.score,
          segment: values.segment === "" ? null : values.segment,
          status: values.status === "" ? null : values.status,
          note: values.note.trim() === "" ? null : values.note,
          author
        })
        if (Either.isLeft(patch)) {
          return yield* companyPage(c, id, { error: `Not saved: ${describeIssues(patch.left)}`, form: values, status: 400 })
        }
        const applied = yield* overrides.apply(id, patch.right, author)
        if (Option.isNone(applied)) return yield* html(c, yield* render(<NotFoundPage message={`There is no company ${id}.`} />), 404)
        return redirect(`/app/companies/${id}?saved=1`)
      })
    )
  )

  const runDetails = (ids: ReadonlyArray<number>) =>
    Effect.gen(function* () {
      const queries = yield* RunQueries
      const details = yield* Effect.forEach(ids, (id) => queries.detail(id), { concurrency: 4 })
      return details.flatMap((d) => (Option.isSome(d) ? [d.value] : [])) as Array<typeof RunDetail.Type>
    })

  const recentRuns = Effect.gen(function* () {
    const list = yield* (yield* RunQueries).list(RUNS_SHOWN, undefined)
    return yield* runDetails(list.runs.map((r) => r.id))
  })

  /** Server-sent events: the fragment again whenever it changes, checked once a second while the page is open. */
  const live = (c: Context, fragment: Effect.Effect<string, unknown, ApiServices>) =>
    streamSSE(c, async (stream) => {
      let last = ""
      let open = true
      stream.onAbort(() => {
        open = false
      })
      try {
        while (open && !stream.aborted) {
          const exit = await kit.runtime.runPromiseExit(fragment)
          if (exit._tag === "Success" && exit.value !== last) {
            last = exit.value
            await stream.writeSSE({ event: "update", data: exit.value })
          }
          await stream.sleep(LIVE_INTERVAL_MS)
        }
      } catch {
        // The server is shutting down (its runtime is gone) or the client left: the stream ends here.
      }
    })

  const runsFragment = Effect.flatMap(recentRuns, (runs) => Effect.promise(async () => String(await (<RunsTable runs={runs} />).toString())))

  routes.get("/runs", (c) => run(Effect.gen(function* () {
    const runs = yield* recentRuns
    return yield* html(c, yield* render(<RunsPage runs={runs} logoutCsrf={logoutCsrf} />))
  })))

  routes.get("/runs/events", (c) => live(c, runsFragment))

  routes.get("/runs/:id/events", (c) => {
    const id = positiveId(c.req.param("id")) ?? 0
    return live(c, Effect.flatMap(runDetails([id]), (runs) => Effect.promise(async () => String(await (<RunsTable runs={runs} />).toString()))))
  })

  routes.get("/runs/:id", (c) =>
    run(
      Effect.gen(function* () {
        const id = positiveId(c.req.param("id"))
        const offsetText = c.req.query("offset") ?? "0"
        const offset = /^\d{1,9}$/.test(offsetText) ? Number(offsetText) : 0
        const limit = 100
        const queries = yield* RunQueries
        const detail = id === undefined ? Option.none() : yield* queries.detail(id)
        const rejects = id === undefined ? Option.none() : yield* queries.rejects(id, limit, offset)
        if (Option.isNone(detail) || Option.isNone(rejects)) {
          return yield* html(c, yield* render(<NotFoundPage message={`There is no run ${c.req.param("id")}.`} />), 404)
        }
        return yield* html(c, yield* render(<RunPage run={detail.value} rejects={rejects.value} offset={offset} limit={limit} logoutCsrf={logoutCsrf} />))
      })
    )
  )

  routes.get("/login", (c) =>
    session.required
      ? run(Effect.flatMap(render(<LoginPage next={safeNext(c.req.query("next"))} />), (text) => html(c, text)))
      : redirect("/app")
  )

  routes.post("/login", (c) =>
    run(
      Effect.gen(function* () {
        const form = yield* Effect.promise(() => c.req.parseBody().catch(() => ({}) as Record<string, unknown>))
        const next = safeNext(form.next)
        if (!session.required) return redirect(next)
        if (typeof form.key === "string" && session.checkKey(form.key)) {
          return redirect(next, { "set-cookie": session.sessionCookie(isSecure(c)) })
        }
        return yield* html(c, yield* render(<LoginPage next={next} error="That is not the API key." />), 401)
      })
    )
  )

  routes.post("/logout", (c) =>
    run(
      Effect.gen(function* () {
        const form = yield* Effect.promise(() => c.req.parseBody().catch(() => ({}) as Record<string, unknown>))
        if (!session.checkCsrf(typeof form[CSRF_FIELD] === "string" ? (form[CSRF_FIELD] as string) : undefined)) {
          return yield* html(c, "<!DOCTYPE html><title>Expired</title><p>This form has expired; reload the page.</p>", 403)
        }
        return redirect(session.required ? "/app/login" : "/app", { "set-cookie": session.clearedCookie(isSecure(c)) })
      })
    )
  )

  return routes
}
