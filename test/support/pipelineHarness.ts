import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { DatabaseLive, UnmigratedDatabaseLive } from "../../src/db/Database.js"
import { configFrom } from "./TestDatabase.js"

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

/** What points the real CLI, a runner or a pipeline layer at fixture websites and the fake LLM on 127.0.0.1. */
export const fixtureEnv = (options: { readonly sitesPort: number; readonly llmUrl: string }) => ({
  SCRAPER_CONNECT_TO: `127.0.0.1:${options.sitesPort}`,
  SCRAPER_ALLOW_PRIVATE_NETWORKS: "true",
  LLM_PROVIDER: "openai-compatible",
  OPENAI_BASE_URL: options.llmUrl,
  OPENAI_MODEL: "fake-model",
  ICP_PROFILE: path.join(repoRoot, "data/icp.md")
})

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * The real CLI (`pnpm pipeline` without pnpm/tsx wrappers, so signals reach the program itself) as a child
 * process, in `cwd` so no developer's .env is read, with exactly `env` (plus PATH/HOME).
 */
export const startCli = (args: ReadonlyArray<string>, env: Record<string, string>, cwd: string, execArgv: ReadonlyArray<string> = []) =>
  startProgram("src/bin/pipeline.ts", args, env, cwd, execArgv)

/** `pnpm worker`: a cluster runner, as a child process like `startCli`. */
export const startWorker = (env: Record<string, string>, cwd: string, execArgv: ReadonlyArray<string> = []) =>
  startProgram("src/bin/worker.ts", [], env, cwd, execArgv)

/** A free TCP port on 127.0.0.1 (for a runner, which must know the port it advertises before it listens). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

export const startProgram = (
  script: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  cwd: string,
  execArgv: ReadonlyArray<string> = []
) => {
  const child = spawn(
    process.execPath,
    [...execArgv, "--import", path.join(repoRoot, "node_modules/tsx/dist/loader.mjs"), path.join(repoRoot, script), ...args],
    { cwd, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_FORMAT: "json", ...env }, stdio: ["ignore", "pipe", "pipe"] }
  )
  let stdout = ""
  let stderr = ""
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d))
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  const done = new Promise<CliResult>((resolve) => {
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { child, done, output: () => ({ stdout, stderr }) }
}

export const runCli = (args: ReadonlyArray<string>, env: Record<string, string>, cwd: string) =>
  Effect.promise(() => startCli(args, env, cwd).done)

/** Resolves once `check` holds, polling every 10 ms; rejects after `timeoutMs`. */
export const waitUntil = (check: () => boolean, timeoutMs = 60_000) =>
  new Promise<void>((resolve, reject) => {
    const started = Date.now()
    const tick = () => {
      if (check()) return resolve()
      if (Date.now() - started > timeoutMs) return reject(new Error("condition not reached in time"))
      setTimeout(tick, 10)
    }
    tick()
  })

/** Runs `query` against the database `env` points at, opening and closing it. */
export const withDatabase = <A, E>(env: Record<string, string>, query: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* query(sql)
  }).pipe(Effect.provide(DatabaseLive.pipe(Layer.provide(configFrom(env)))), Effect.scoped)

/** Like withDatabase, without applying migrations: to see what a program left of the schema. */
export const withUnmigratedDatabase = <A, E>(env: Record<string, string>, query: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* query(sql)
  }).pipe(Effect.provide(UnmigratedDatabaseLive.pipe(Layer.provide(configFrom(env)))), Effect.scoped)

/** What a run leaves in `companies`, without ids and timestamps: two equivalent runs give equal snapshots. */
export const companiesSnapshot = (env: Record<string, string>) =>
  withDatabase(env, (sql) =>
    sql<Record<string, unknown>>`
      SELECT domain, company_name, country, country_code, employee_count, industry_raw, website_url,
        scraping_status, md5(coalesce(website_text_snippet, '')) AS text_md5, enrichment_status, icp_fit_score, segment,
        primary_use_case, risk_flags, personalized_pitch, score_rationale, confidence, enrichment_error_kind
      FROM companies ORDER BY domain`
  )
