import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"

/** The Postgres server the database benches use. */
export const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** One short-lived connection to `url`, for the bench's own statements. */
export const withServer = <A>(url: string, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.gen(function* () {
    return yield* f(yield* SqlClient.SqlClient)
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })), Effect.orDie)

/** A fresh database on the server, dropped when the scope closes; its URL. */
export const freshDatabase = Effect.gen(function* () {
  const name = `cf_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  yield* Effect.acquireRelease(withServer(serverUrl, (sql) => sql.unsafe(`CREATE DATABASE ${name}`)), () =>
    withServer(serverUrl, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  )
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
})
