import { PgClient } from "@effect/sql-pg"
import Pg from "pg"
import { SqlClient } from "@effect/sql"
import { Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import { DatabaseConfig } from "../config/DatabaseConfig.js"
import { DatabaseError } from "./DatabaseError.js"
import { EmbeddedPostgres } from "./EmbeddedPostgres.js"
import { MigrationsLive } from "./Migrations.js"

export interface DatabaseTargetInfo {
  readonly kind: "embedded" | "server"
  /** Safe to print: no password. */
  readonly description: string
}

export class DatabaseTarget extends Context.Tag("DatabaseTarget")<DatabaseTarget, DatabaseTargetInfo>() {}

export const describeUrl = (url: string) => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return "postgres server (unparseable URL)"
  }
}

/** Pg returns int8 and numeric as strings; our counts, ids and scores fit a JS number. */
const types: Pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === 20 || oid === 1700
      ? (value: string) => Number(value)
      : Pg.types.getTypeParser(oid, format as "text")) as Pg.CustomTypesConfig["getTypeParser"]
}

/** A server when DATABASE_URL is set, else the embedded PostgreSQL on loopback; the same client either way. */
export const SqlLive = Layer.unwrapScoped(
  Effect.gen(function* () {
    const config = yield* DatabaseConfig
    const common = { maxConnections: config.poolSize, applicationName: "commonforge", types } as const
    if (Option.isSome(config.url)) {
      const info: DatabaseTargetInfo = { kind: "server", description: describeUrl(Redacted.value(config.url.value)) }
      yield* Effect.logInfo(`database: Postgres server ${info.description}`)
      return Layer.merge(
        PgClient.layer({ ...common, url: config.url.value, connectTimeout: Duration.seconds(10) }),
        Layer.succeed(DatabaseTarget, info)
      )
    }
    const embedded = yield* EmbeddedPostgres.acquire(config.dataDir)
    const info: DatabaseTargetInfo = {
      kind: "embedded",
      description: `embedded PostgreSQL at ${embedded.dataDir} (${embedded.host}:${embedded.port}${embedded.started ? ", started" : ""})`
    }
    yield* Effect.logInfo(`database: ${info.description}`)
    return Layer.merge(
      PgClient.layer({
        ...common,
        host: embedded.host,
        port: embedded.port,
        username: "postgres",
        password: embedded.password,
        database: "postgres",
        connectTimeout: Duration.seconds(10)
      }),
      Layer.succeed(DatabaseTarget, info)
    )
  })
).pipe(
  Layer.mapError((error) =>
    error instanceof DatabaseError
      ? error
      : error._tag === "SqlError"
        ? new DatabaseError({ reason: "Unavailable", message: `cannot connect to the database: ${describeCause(error)}`, cause: error })
        : error
  )
)

const describeCause = (error: { message: string; cause?: unknown }) =>
  error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message

export class Database extends Effect.Service<Database>()("Database", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const target = yield* DatabaseTarget
    const health = sql`SELECT 1 AS ok`.pipe(
      Effect.timeoutFail({
        duration: "3 seconds",
        onTimeout: () => new DatabaseError({ reason: "Unavailable", message: "database did not answer within 3 seconds" })
      }),
      Effect.mapError((error) =>
        error instanceof DatabaseError
          ? error
          : new DatabaseError({ reason: "Unavailable", message: describeCause(error), cause: error })
      ),
      Effect.as({ kind: target.kind }),
      Effect.withSpan("db.health")
    )
    return { target, health } as const
  })
}) {}

/** Connection, migrations applied, health check: what the pipeline and the server start with. */
export const DatabaseLive = Database.Default.pipe(
  Layer.provideMerge(MigrationsLive),
  Layer.provideMerge(SqlLive)
)

/** Connection and health check without migrations: what `--dry-run` starts with (it migrates in a rolled-back transaction). */
export const UnmigratedDatabaseLive = Database.Default.pipe(Layer.provideMerge(SqlLive))
