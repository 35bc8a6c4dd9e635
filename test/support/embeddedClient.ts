import { SqlClient } from "@effect/sql"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ConfigProvider, Effect, Layer } from "effect"
import { Database, DatabaseLive } from "../../src/db/Database.js"

/**
 * A program that opens the database of its environment (EMBEDDED_DATA_DIR or DATABASE_URL), says so on
 * stdout as one JSON line and holds it open until SIGTERM/SIGINT: a second process beside the one under test.
 */
const main = Effect.gen(function* () {
  const db = yield* Database
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`
  process.stdout.write(JSON.stringify({ ready: true, description: db.target.description, backend: row?.pid }) + "\n")
  return yield* Effect.never
}).pipe(Effect.provide(DatabaseLive.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromEnv())))))

NodeRuntime.runMain(main, { disablePrettyLogger: true })
