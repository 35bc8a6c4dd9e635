import { PgClient } from "@effect/sql-pg"
import { SqlClient } from "@effect/sql"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DatabaseLive } from "../../src/db/Database.js"
import { EmbeddedPostgres } from "../../src/db/EmbeddedPostgres.js"

/**
 * Database suites run on the embedded database by default and on a real server when TEST_DATABASE_URL is
 * set (CI sets it for its second pass; an unreachable server then fails the suite, it never skips).
 */
export const testServerUrl = process.env.TEST_DATABASE_URL?.trim() || undefined
export const testDatabaseKind: "embedded" | "server" = testServerUrl ? "server" : "embedded"

/** Readable by others: run as root, the embedded server runs as the `postgres` user and must reach its directory. */
export const makeTempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cf-${prefix}-`))
  fs.chmodSync(dir, 0o755)
  return dir
}

/**
 * A fresh embedded data directory, removed at the end of the scope after stopping its server if a program
 * under test left it running (one killed with SIGKILL, say).
 */
export const freshEmbeddedDir = (prefix = "pg") =>
  Effect.gen(function* () {
    const dir = makeTempDir(prefix)
    const dataDir = path.join(dir, "data")
    yield* Effect.addFinalizer(() =>
      EmbeddedPostgres.stop(dataDir).pipe(
        Effect.ignore,
        Effect.andThen(Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      )
    )
    return dataDir
  })

const withUrlDatabase = (url: string, database: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** A fresh, empty database on the test server; dropped when the scope closes. */
export const freshServerDatabase = Effect.gen(function* () {
  if (!testServerUrl) return yield* Effect.dieMessage("TEST_DATABASE_URL is not set")
  const name = `cf_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  const admin = PgClient.layer({ url: Redacted.make(testServerUrl), maxConnections: 1 })
  const run = (statement: string) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(statement)
    }).pipe(Effect.provide(admin), Effect.orDie)
  yield* Effect.acquireRelease(run(`CREATE DATABASE ${name}`), () =>
    run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  )
  return withUrlDatabase(testServerUrl, name)
})

/** The environment a database-backed program sees: a fresh embedded directory or a fresh server database. */
export const freshDatabaseEnv = Effect.gen(function* () {
  if (testServerUrl) return { DATABASE_URL: yield* freshServerDatabase } as Record<string, string>
  return { EMBEDDED_DATA_DIR: yield* freshEmbeddedDir() } as Record<string, string>
})

export const configFrom = (env: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

/** Migrated database (embedded or server per TEST_DATABASE_URL) plus extra config for the code under test. */
export const TestDatabaseLive = (extraEnv: Record<string, string> = {}) =>
  Layer.unwrapScoped(
    Effect.map(freshDatabaseEnv, (env) => DatabaseLive.pipe(Layer.provide(configFrom({ ...env, ...extraEnv }))))
  )
