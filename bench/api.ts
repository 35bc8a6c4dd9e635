/**
 * pnpm bench api [--companies 100000] [--duration 4] [--rounds 5] [--warmup 2] [--connections 10]
 *
 * The query API on the real Postgres server (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test),
 * in a fresh database created for the run and dropped after it: 100,000 companies seeded in one INSERT,
 * the plans of the list queries checked with EXPLAIN (index scans, no sequential scan, no sort), then
 * `pnpm serve` started as a separate process and driven by autocannon for a fixed duration per endpoint,
 * GET / (the baseline) measured in the same run. The endpoints take turns for several rounds and each
 * figure is the median over the rounds, so a burst of load from elsewhere on the machine skews one round,
 * not the result. Prints req/s, p50/p99 latency and each endpoint's throughput as a ratio to GET /.
 *
 * Two passes: as served (list pages cached per data version, API_CACHE_MB default) and with the page
 * cache off (API_CACHE_MB=0: every request runs its queries), so both are on record.
 * Target, on the served configuration: each list query ≥ 30% of GET / throughput with p99 < 25 ms, and the
 * leads workspace's HTML list page (50 rows, facets, filters) ≥ 50% of the JSON list's throughput.
 */
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import autocannon from "autocannon"
import { ConfigProvider, Context, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { CompanyQueries } from "../src/api/CompanyQueries.js"
import { companyCursorScope, companyFilters, companyListRequest, CompanyListQuery } from "../src/api/CompanyListQuery.js"
import { encodeCursor } from "../src/api/Cursor.js"
import { Schema } from "effect"
import { DatabaseLive } from "../src/db/Database.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const { values } = parseArgs({
  options: {
    companies: { type: "string", default: "100000" },
    duration: { type: "string", default: "4" },
    rounds: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "10" }
  }
})
const companies = Number(values.companies)
const duration = Number(values.duration)
const rounds = Math.max(1, Number(values.rounds))
const warmup = Number(values.warmup)
const connections = Number(values.connections)
const serverUrl = process.env.DATABASE_URL?.trim() || "postgres://postgres@127.0.0.1:5432/test"
const RATIO_TARGET = 0.3
const HTML_RATIO_TARGET = 0.5
const JSON_LIST = "/companies?min_score=70&limit=50"
const HTML_LIST = "/app?min_score=70&limit=50"
const P99_TARGET_MS = 25
const DEEP_POSITION = Math.floor(companies * 0.4)

const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** Words for website snippets that vary per company, so a page compresses about as well as real text does. */
const vocabulary = (
  "we our team platform customers cloud data automate automation workflow workflows invoice invoices billing " +
  "payments finance operations supply chain logistics shipping warehouse inventory orders order retail commerce " +
  "analytics reporting dashboard insights growth revenue sales marketing support service services enterprise small " +
  "business businesses mid-sized companies global local trusted secure compliance integration integrations api " +
  "partners partner industry leading modern simple fast reliable scalable software solution solutions product " +
  "products manufacturing healthcare clinics patients banking lending insurance claims hiring people payroll " +
  "schedule scheduling field technicians fleet routes delivery customers' since founded offices europe america " +
  "asia remote hybrid award-winning certified iso soc2 gdpr hipaa pricing plans free trial demo contact careers " +
  "blog news case studies testimonials million thousands hours saved per week month year percent faster cheaper"
).split(" ")

/** Deterministic rows with realistic payloads (a 1,000-character snippet where the scrape succeeded). */
const seedSql = (n: number) => `
INSERT INTO companies (company_name, domain, country, country_code, country_name, employee_count, industry_raw,
  website_url, website_text_snippet, scraping_status, scraped_at, icp_fit_score, segment, primary_use_case, risk_flags,
  personalized_pitch, score_rationale, confidence, enrichment_status, enrichment_error, enriched_at, created_at, updated_at)
SELECT
  'Company ' || i || ' ' || (ARRAY['Systems','Labs','Logistics','Health','Capital','Foods','Robotics','Cloud'])[1 + i % 8],
  'company-' || i || '.com',
  c.raw, c.code, c.name,
  CASE WHEN i % 97 = 0 THEN NULL ELSE 5 + (h % 20000) END,
  (ARRAY['SaaS','Fintech','E-commerce','Logistics','Healthcare','Manufacturing','Consulting','Retail'])[1 + (h / 7) % 8],
  'https://company-' || i || '.com/',
  CASE WHEN i % 10 < 7 THEN left(array_to_string(ARRAY(
    SELECT (ARRAY[${vocabulary.map((w) => `'${w.replace(/'/g, "''")}'`).join(",")}])[1 + abs(hashint4(i * 1000 + j)) % ${vocabulary.length}]
    FROM generate_series(1, 200) AS j), ' '), 1000) END,
  CASE WHEN i % 10 < 7 THEN 'success' ELSE 'failed' END,
  now() - (i % 1000) * interval '1 minute',
  CASE WHEN i % 20 < 18 THEN (h / 13) % 101 END,
  CASE WHEN i % 20 < 18 THEN (ARRAY['SMB','SMB','SMB','SMB','SMB','Mid-Market','Mid-Market','Mid-Market','Enterprise','Enterprise'])[1 + (h / 3) % 10] END,
  CASE WHEN i % 20 < 18 THEN 'Automating invoice processing and approvals across finance and operations teams.' END,
  CASE WHEN i % 5 = 0 THEN '["No website content","Small team"]'::jsonb ELSE '[]'::jsonb END,
  CASE WHEN i % 20 < 18 THEN 'Company ' || i || ' could cut ' || (5 + h % 40) || ' hours a week from ' ||
    (ARRAY['invoice approvals','order entry','claims intake','route planning','payroll runs','vendor onboarding'])[1 + h % 6] ||
    ' by letting CommonForge handle the ' || (ARRAY['manual checks','data entry','follow-ups','reconciliation'])[1 + (h / 5) % 4] || '.' END,
  CASE WHEN i % 20 < 18 THEN '[{"reason":"Mid-sized operations team with manual workflows","quote":"automate their operations","verified":true},{"reason":"Industry fit","quote":null,"verified":false}]'::jsonb ELSE '[]'::jsonb END,
  CASE WHEN i % 20 < 18 THEN 0.5 + (h % 50) / 100.0 END,
  CASE WHEN i % 20 < 18 THEN 'success' WHEN i % 20 = 18 THEN 'failed' ELSE 'pending' END,
  CASE WHEN i % 20 = 18 THEN 'LLM timed out' END,
  CASE WHEN i % 20 < 18 THEN now() - (i % 500) * interval '1 minute' END,
  now() - (i % 5000) * interval '1 minute',
  now() - (h % 100000) * interval '1 second'
FROM (SELECT i, abs(hashint4(i)) AS h FROM generate_series(1, ${n}) AS i) s
CROSS JOIN LATERAL (
  SELECT * FROM (VALUES
    (0, 'US', 'US', 'United States'), (1, 'USA', 'US', 'United States'), (2, 'United States', 'US', 'United States'),
    (3, 'Germany', 'DE', 'Germany'), (4, 'DE', 'DE', 'Germany'), (5, 'United Kingdom', 'GB', 'United Kingdom'),
    (6, 'France', 'FR', 'France'), (7, 'Canada', 'CA', 'Canada'), (8, 'Japan', 'JP', 'Japan'), (9, 'Brasil', 'BR', 'Brazil')
  ) AS v(k, raw, code, name) WHERE v.k = (s.h / 11) % 10
) c`

interface PlanNode {
  readonly "Node Type": string
  readonly "Relation Name"?: string
  readonly "Index Name"?: string
  readonly "Scan Direction"?: string
  readonly Plans?: ReadonlyArray<PlanNode>
}

const nodes = (plan: PlanNode): Array<PlanNode> => [plan, ...(plan.Plans ?? []).flatMap(nodes)]

/** The plan's nodes over the companies table (the one-row companies_version lookup is not of interest). */
const companyNodes = (plan: PlanNode) =>
  nodes(plan).filter((n) => n["Relation Name"] !== "companies_version" && !n["Index Name"]?.startsWith("companies_version"))

const describePlan = (plan: PlanNode) =>
  companyNodes(plan)
    .filter((n) => n["Node Type"].includes("Scan"))
    .map((n) => `${n["Node Type"]}${n["Scan Direction"] === "Backward" ? " Backward" : ""}${n["Index Name"] ? ` on ${n["Index Name"]}` : ""}`)
    .join(", ")

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

/** `pnpm serve` in its own process, as deployed; its log goes to a file so reading it costs this process nothing. */
const startServer = (databaseUrl: string, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const port = await freePort()
      const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cf-bench-api-")), "server.log")
      const log = fs.openSync(logFile, "w")
      const child = spawn(path.join(root, "node_modules/.bin/tsx"), [path.join(root, "src/bin/serve.ts")], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: databaseUrl, API_HOST: "127.0.0.1", API_PORT: String(port), LOG_FORMAT: "json", ...env },
        stdio: ["ignore", log, log]
      })
      fs.closeSync(log)
      const deadline = Date.now() + 120_000
      while (!fs.readFileSync(logFile, "utf8").includes("listening on")) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`the API server did not start:\n${fs.readFileSync(logFile, "utf8")}`)
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      return { child, url: `http://127.0.0.1:${port}`, logFile }
    }),
    ({ child, logFile }) =>
      Effect.promise(async () => {
        if (child.exitCode === null) {
          const exited = new Promise((resolve) => child.once("exit", resolve))
          child.kill("SIGTERM")
          await exited
        }
        fs.rmSync(path.dirname(logFile), { recursive: true, force: true })
      })
  )

interface Endpoint {
  readonly label: string
  readonly path: string
  readonly list: boolean
  /** A workspace page: measured, not EXPLAINed (it runs the list's statements). */
  readonly html?: boolean
  /** A different path per request (random ids), so no two requests are alike. */
  readonly vary?: () => string
}

interface Measured {
  readonly endpoint: Endpoint
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly non2xx: number
  readonly errors: number
}

const drive = (url: string, endpoint: Endpoint, seconds: number) =>
  Effect.promise(() =>
    autocannon({
      url: `${url}${endpoint.path}`,
      connections,
      duration: seconds,
      ...(endpoint.vary ? { requests: [{ setupRequest: (request: any) => ({ ...request, path: endpoint.vary!() }) }] } : {})
    })
  )

/** Bytes on the wire for one response, as sent (not decompressed). */
const wireBytes = (url: string, acceptEncoding: string) =>
  Effect.promise(
    () =>
      new Promise<number>((resolve, reject) => {
        http
          .get(url, { headers: { "accept-encoding": acceptEncoding } }, (response) => {
            let bytes = 0
            response.on("data", (chunk: Buffer) => (bytes += chunk.length))
            response.on("end", () => resolve(bytes))
          })
          .on("error", reject)
      })
  )

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Every endpoint warmed up, then measured in turns for `rounds` rounds; medians per endpoint. */
const measureAll = (url: string, endpoints: ReadonlyArray<Endpoint>) =>
  Effect.gen(function* () {
    if (warmup > 0) for (const endpoint of endpoints) yield* drive(url, endpoint, warmup)
    const runs = endpoints.map(() => [] as Array<autocannon.Result>)
    for (let round = 0; round < rounds; round++) {
      for (const [index, endpoint] of endpoints.entries()) runs[index]!.push(yield* drive(url, endpoint, duration))
    }
    return endpoints.map(
      (endpoint, index): Measured => ({
        endpoint,
        rps: median(runs[index]!.map((r) => r.requests.average)),
        p50: median(runs[index]!.map((r) => r.latency.p50)),
        p99: median(runs[index]!.map((r) => r.latency.p99)),
        non2xx: runs[index]!.reduce((sum, r) => sum + r.non2xx, 0),
        errors: runs[index]!.reduce((sum, r) => sum + r.errors + r.timeouts, 0)
      })
    )
  })

const pad = (text: string, width: number) => text.padEnd(width)
const num = (value: number, digits = 0) => value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

const report = (title: string, results: ReadonlyArray<Measured>, judge: boolean) => {
  const baseline = results.find((r) => r.endpoint.path === "/")!
  console.log(`\n  ${title}`)
  console.log(`    ${pad("endpoint", 66)} ${"req/s".padStart(8)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)} ${"× GET /".padStart(8)}`)
  let pass = true
  for (const r of results) {
    const ratio = r.rps / baseline.rps
    const ok = r.non2xx === 0 && r.errors === 0 && (!r.endpoint.list || (ratio >= RATIO_TARGET && r.p99 < P99_TARGET_MS))
    if (r.endpoint.list && !ok) pass = false
    if (r.non2xx > 0 || r.errors > 0) pass = false
    const verdict = r.endpoint.list ? (ok ? "ok" : "below target") : r.non2xx + r.errors > 0 ? "errors" : ""
    console.log(
      `    ${pad(r.endpoint.label, 66)} ${num(r.rps).padStart(8)} ${num(r.p50, 1).padStart(7)} ${num(r.p99, 1).padStart(7)} ${ratio.toFixed(3).padStart(8)}  ${verdict}` +
        (r.non2xx + r.errors > 0 ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : "")
    )
  }
  return judge ? pass : true
}

/** The HTML list page against the JSON list of the same rows. */
const htmlVerdict = (results: ReadonlyArray<Measured>, judge = true) => {
  const json = results.find((r) => r.endpoint.path === JSON_LIST)
  const page = results.find((r) => r.endpoint.path === HTML_LIST)
  if (!json || !page) return true
  const ratio = page.rps / json.rps
  const ok = ratio >= HTML_RATIO_TARGET
  console.log(`    HTML list page / JSON list: ${ratio.toFixed(3)}${judge ? ` (target ≥ ${HTML_RATIO_TARGET})  ${ok ? "ok" : "below target"}` : ""}`)
  return ok
}

const program = Effect.gen(function* () {
  const databaseName = `cf_bench_api_${process.pid}`
  const admin = PgClient.layer({ url: Redacted.make(serverUrl), maxConnections: 1 })
  const adminRun = (statement: string) =>
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(statement)).pipe(Effect.provide(admin), Effect.orDie)
  yield* Effect.acquireRelease(adminRun(`CREATE DATABASE ${databaseName}`), () =>
    adminRun(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`)
  )
  const databaseUrl = withDatabase(serverUrl, databaseName)
  console.log(
    `api bench: ${num(companies)} companies in a throwaway database on ${new URL(serverUrl).host} (${os.cpus().length} CPUs), ` +
      `${connections} connections, ${rounds} rounds of ${duration} s per endpoint after ${warmup} s of warm-up (medians)`
  )

  const context = yield* Layer.build(
    CompanyQueries.Default.pipe(
      Layer.provideMerge(DatabaseLive),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["DATABASE_URL", databaseUrl], ["API_CACHE_MB", "0"]]))))
    )
  )
  const sql = Context.get(context, SqlClient.SqlClient)
  const queries = Context.get(context, CompanyQueries)

  const seedStart = performance.now()
  yield* sql.unsafe(seedSql(companies))
  yield* sql.unsafe("VACUUM ANALYZE companies")
  console.log(`  seeded ${num(companies)} companies in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`)

  const deep = yield* sql<{ id: number; k: number }>`
    SELECT id, COALESCE(effective_score, -1) AS k FROM companies WHERE enrichment_status = 'success'
    ORDER BY COALESCE(effective_score, -1) DESC, id DESC OFFSET ${DEEP_POSITION} LIMIT 1`
  const defaultFilters = companyFilters(Schema.decodeUnknownSync(CompanyListQuery)({}))
  const deepCursor = encodeCursor({ scope: companyCursorScope("-score", defaultFilters), key: deep[0]!.k, id: deep[0]!.id })

  const endpoints: ReadonlyArray<Endpoint> = [
    { label: "GET / (baseline)", path: "/", list: false },
    { label: `GET ${JSON_LIST}`, path: JSON_LIST, list: true },
    { label: `GET ${HTML_LIST} (HTML list page)`, path: HTML_LIST, list: true, html: true },
    {
      label: "GET /companies?country=US&segment=Enterprise&sort=-score&limit=50",
      path: "/companies?country=US&segment=Enterprise&sort=-score&limit=50",
      list: true
    },
    { label: `GET /companies?limit=50&cursor=… (row ${num(DEEP_POSITION)} onwards)`, path: `/companies?limit=50&cursor=${deepCursor}`, list: true },
    {
      label: "GET /companies/{id} (random ids)",
      path: "/companies/1",
      list: false,
      vary: () => `/companies/${1 + Math.floor(Math.random() * companies)}`
    }
  ]

  console.log("  EXPLAIN (the statements the server runs)")
  let plansOk = true
  const decodeQuery = Schema.decodeUnknownSync(CompanyListQuery)
  for (const endpoint of endpoints.filter((e) => e.list && !e.html)) {
    const request = companyListRequest(decodeQuery(Object.fromEntries(new URL(endpoint.path, "http://x").searchParams)))
    for (const [what, statement] of [
      ["page", queries.pageStatement(request)],
      ["count", queries.countStatement(request.filters)]
    ] as const) {
      const rows = yield* sql<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>`EXPLAIN (FORMAT JSON) ${statement}`
      const plan = rows[0]!["QUERY PLAN"][0]!.Plan
      const all = companyNodes(plan)
      const ok =
        !all.some((n) => n["Node Type"] === "Seq Scan" || n["Node Type"] === "Sort") &&
        (what === "page" || all.some((n) => n["Node Type"] === "Index Only Scan"))
      if (!ok) plansOk = false
      console.log(`    ${pad(`${endpoint.label.replace(/^GET /, "")} — ${what}`, 78)} ${describePlan(plan)}${ok ? "" : "  ← not index-only/ordered"}`)
    }
  }

  const servedPass = yield* Effect.scoped(
    Effect.gen(function* () {
      const server = yield* startServer(databaseUrl, {})
      console.log("\n  response sizes")
      for (const endpoint of endpoints.filter((e) => e.list)) {
        const plain = yield* wireBytes(`${server.url}${endpoint.path}`, "identity")
        const gzipped = yield* wireBytes(`${server.url}${endpoint.path}`, "gzip")
        console.log(`    ${pad(endpoint.label, 66)} ${num(plain)} bytes, ${num(gzipped)} gzipped (${((100 * gzipped) / plain).toFixed(0)}%)`)
      }
      const results = yield* measureAll(server.url, endpoints)
      const listed = report("as served (list pages and totals cached per data version; API_CACHE_MB=64)", results, true)
      return htmlVerdict(results) && listed
    })
  )
  yield* Effect.scoped(
    Effect.gen(function* () {
      const server = yield* startServer(databaseUrl, { API_CACHE_MB: "0" })
      const results = yield* measureAll(server.url, endpoints.filter((e) => e.path === "/" || e.list))
      report("page cache off (API_CACHE_MB=0: every request runs its page query; totals still cached), for the record", results, false)
      htmlVerdict(results, false)
    })
  )

  const pass = servedPass && plansOk
  console.log(
    `\n  target: list queries ≥ ${RATIO_TARGET * 100}% of GET / throughput with p99 < ${P99_TARGET_MS} ms (as served), ` +
      `HTML list page ≥ ${HTML_RATIO_TARGET * 100}% of the JSON list, ` +
      `plans on indexes without sorting: ${pass ? "PASS" : "FAIL"}`
  )
  return pass
})

const pass = await Effect.runPromise(program.pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning)))
process.exit(pass ? 0 : 1)
