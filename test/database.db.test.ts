import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { Database, DatabaseLive } from "../src/db/Database.js"
import { runMigrations } from "../src/db/Migrations.js"
import { configFrom, freshDatabaseEnv, freshEmbeddedDir, testDatabaseKind } from "./support/TestDatabase.js"
import { EmbeddedPostgres } from "../src/db/EmbeddedPostgres.js"

const tables = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ tablename: string }>`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`
  return rows.map((r) => r.tablename)
})

const appliedMigrations = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<{ migrationId: number }>`SELECT migration_id AS "migrationId" FROM effect_sql_migrations ORDER BY 1`
})

describe(`database (${testDatabaseKind})`, () => {
  it.scoped("migrations apply on a fresh database and re-running them is a no-op", () =>
    Effect.gen(function* () {
      const env = yield* freshDatabaseEnv
      const layer = DatabaseLive.pipe(Layer.provide(configFrom(env)))
      const first = yield* Effect.gen(function* () {
        const names = yield* tables
        const db = yield* Database
        expect(yield* db.health).toEqual({ kind: testDatabaseKind })
        expect(db.target.kind).toBe(testDatabaseKind)
        const again = yield* runMigrations
        expect(again).toEqual([])
        return { names, migrations: yield* appliedMigrations }
      }).pipe(Effect.provide(layer))
      expect(first.names).toContain("companies")
      expect(first.names).toContain("effect_sql_migrations")
      const second = yield* appliedMigrations.pipe(Effect.provide(layer))
      expect(second).toEqual(first.migrations)
    }))

  it.scoped("the companies table enforces its constraints", () =>
    Effect.gen(function* () {
      const env = yield* freshDatabaseEnv
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO companies (company_name, domain) VALUES ('Acme', 'acme.com')`
        const bad = [
          sql`INSERT INTO companies (company_name, domain) VALUES ('Acme 2', 'acme.com')`,
          sql`INSERT INTO companies (company_name, domain, icp_fit_score) VALUES ('X', 'x.com', 150)`,
          sql`INSERT INTO companies (company_name, domain, segment) VALUES ('X', 'x.com', 'Large')`,
          sql`INSERT INTO companies (company_name, domain, scraping_status) VALUES ('X', 'x.com', 'done')`,
          sql`INSERT INTO companies (company_name, domain, enrichment_status) VALUES ('X', 'x.com', 'done')`
        ]
        for (const statement of bad) {
          expect(Exit.isFailure(yield* Effect.exit(statement))).toBe(true)
        }
        const rows = yield* sql<{ id: number; riskFlags: unknown }>`SELECT id, risk_flags AS "riskFlags" FROM companies`
        expect(rows).toHaveLength(1)
        expect(typeof rows[0]!.id).toBe("number")
        expect(rows[0]!.riskFlags).toEqual([])
      }).pipe(Effect.provide(DatabaseLive.pipe(Layer.provide(configFrom(env)))))
    }))

  it.scoped("two concurrent starts do not race", () =>
    Effect.gen(function* () {
      const env = yield* freshDatabaseEnv
      if (testDatabaseKind === "server") {
        const start = Effect.gen(function* () {
          yield* Database
          return yield* appliedMigrations
        }).pipe(Effect.provide(DatabaseLive.pipe(Layer.provide(configFrom(env)))))
        const [a, b] = yield* Effect.all([start, start], { concurrency: 2 })
        expect(a).toEqual(b)
        expect(a.length).toBeGreaterThan(0)
      } else {
        // Two starters of one fresh embedded directory: one initialises and starts it, the other connects.
        const start = Effect.gen(function* () {
          yield* Database
          return yield* appliedMigrations
        }).pipe(Effect.provide(DatabaseLive.pipe(Layer.provide(configFrom(env)))))
        const [a, b] = yield* Effect.all([start, start], { concurrency: 2 })
        expect(a).toEqual(b)
        expect(a.length).toBeGreaterThan(0)
      }
    }))

  it.scoped.skipIf(testDatabaseKind === "server")("embedded data survives closing and reopening", () =>
    Effect.gen(function* () {
      const dataDir = yield* freshEmbeddedDir("reopen")
      const layer = DatabaseLive.pipe(Layer.provide(configFrom({ EMBEDDED_DATA_DIR: dataDir })))
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO companies (company_name, domain) VALUES ('Acme', 'acme.com')`
      }).pipe(Effect.provide(layer))
      expect((yield* EmbeddedPostgres.status(dataDir)).running).toBe(false)
      const names = yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        return yield* sql<{ companyName: string }>`SELECT company_name AS "companyName" FROM companies`
      }).pipe(Effect.provide(layer))
      expect(names).toEqual([{ companyName: "Acme" }])
    }))
})
