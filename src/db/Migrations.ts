import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { packageFile } from "../config/packageFile.js"
import * as Migrator from "@effect/sql/Migrator"
import { DatabaseError } from "./DatabaseError.js"

/** Built (the bundle in dist/), the migrations are the bundled ones in dist/migrations; else the sources. */
const compiled = import.meta.url.endsWith(".js")
export const migrationsDirectory = compiled ? packageFile("dist", "migrations") : packageFile("migrations")
const migrationFile = compiled ? /^(\d+)_([^.]+)\.js$/ : /^(\d+)_([^.]+)\.ts$/

/**
 * Every `NNNN_name.ts` file in migrations/ (`.js` once built). Imported from this module rather than by the
 * library's file loader so that whatever loads our TypeScript (tsx, vitest) also loads the migrations.
 */
const migrationLoader: Migrator.Loader = Effect.sync(() =>
  fs
    .readdirSync(migrationsDirectory)
    .flatMap((file) => {
      const match = migrationFile.exec(file)
      if (!match) return []
      const load = Effect.promise(() => import(pathToFileURL(path.join(migrationsDirectory, file)).href))
      return [[Number(match[1]), match[2]!, load] as const]
    })
    .sort(([a], [b]) => a - b)
)

/** PgMigrator adds only schema dumps, which we do not use. */
const runMigrator = Migrator.make({})

/** Any constant shared by every process of this project. */
const MIGRATION_LOCK_KEY = 7_301_245_881

/**
 * The migrator serializes itself with a lock on its table but does not guard creating that table, so two
 * processes starting at once on a fresh database could both try; create it first under an advisory lock.
 * (Same shape as the migrator's own definition.)
 */
export const runMigrations = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.withTransaction(
    Effect.zipRight(
      sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`,
      sql`CREATE TABLE IF NOT EXISTS effect_sql_migrations (
        migration_id integer primary key,
        created_at timestamp with time zone not null default now(),
        name text not null
      )`
    )
  )
  return yield* runMigrator({ loader: migrationLoader })
}).pipe(
  Effect.tap((applied) =>
    applied.length > 0
      ? Effect.logInfo(`applied migrations: ${applied.map(([id, name]) => `${id}_${name}`).join(", ")}`)
      : Effect.void
  ),
  Effect.mapError(
    (cause) => new DatabaseError({ reason: "MigrationFailed", message: `database migration failed: ${cause.message}`, cause })
  ),
  Effect.withSpan("db.migrate")
)

export const MigrationsLive = Layer.effectDiscard(runMigrations)
