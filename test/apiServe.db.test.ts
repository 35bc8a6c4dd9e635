import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime, Option } from "effect"
import { spawn, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { ApiServicesLayer } from "../src/api/ApiLayer.js"
import { makeApp, type ApiRuntime } from "../src/api/makeApp.js"
import { startApiServer } from "../src/api/startApiServer.js"
import { Database, DatabaseTarget } from "../src/db/Database.js"
import { DatabaseError } from "../src/db/DatabaseError.js"
import { EmbeddedPostgres } from "../src/db/EmbeddedPostgres.js"
import { freshDatabaseEnv, TestDatabaseLive, testDatabaseKind } from "./support/TestDatabase.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const tsx = path.join(root, "node_modules", ".bin", "tsx")

const freePort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port
        server.close(() => resolve(port))
      })
    })
)

interface Served {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
}

/** `pnpm serve` as a user runs it, with only the variables given (plus PATH and HOME). */
const serve = (env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync((): Served => {
      const child = spawn(tsx, [path.join(root, "src/bin/serve.ts")], {
        cwd: root,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_FORMAT: "json", API_HOST: "127.0.0.1", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout!.on("data", (chunk) => (output += chunk))
      child.stderr!.on("data", (chunk) => (output += chunk))
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      return { child, output: () => output, exited }
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
  )

const waitFor = (served: Served, text: string) =>
  Effect.promise(async () => {
    while (!served.output().includes(text)) {
      if (served.child.exitCode !== null) throw new Error(`the server exited early:\n${served.output()}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })

describe(`pnpm serve (${testDatabaseKind})`, () => {
  it.scopedLive("starts on the configured port, runs migrations, and stops gracefully on SIGTERM", () =>
    Effect.gen(function* () {
      const env = yield* freshDatabaseEnv
      const port = yield* freePort
      const served = yield* serve({ ...env, API_PORT: String(port) })
      yield* waitFor(served, `listening on http://127.0.0.1:${port}`)
      expect(served.output()).toContain("applied migrations")
      const health = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json()))
      expect(health).toEqual({ status: "healthy", service: "commonforge-api", database: testDatabaseKind })
      served.child.kill("SIGTERM")
      expect(yield* Effect.promise(() => served.exited)).toBe(0)
      expect(served.output()).toContain("received SIGTERM: finishing in-flight requests, then stopping")
      if (env.EMBEDDED_DATA_DIR) expect((yield* EmbeddedPostgres.status(env.EMBEDDED_DATA_DIR)).running).toBe(false)
    }), 120_000)

  it.scopedLive("a bad setting is named and exits 2 before anything starts", () =>
    Effect.gen(function* () {
      const served = yield* serve({ API_PORT: "abc", EMBEDDED_DATA_DIR: "/nonexistent/never-created" })
      expect(yield* Effect.promise(() => served.exited)).toBe(2)
      expect(served.output()).toContain("API_PORT: expected an integer 1-65535, got 'abc'")
      expect(fs.existsSync("/nonexistent/never-created")).toBe(false)
    }), 60_000)

  it.scopedLive("GET /health answers 503 with the reason when the database does not answer", () =>
    Effect.gen(function* () {
      const down = Layer.succeed(
        Database,
        new Database({
          target: { kind: testDatabaseKind, description: "test" },
          health: Effect.fail(new DatabaseError({ reason: "Unavailable", message: "database did not answer within 3 seconds" }))
        })
      )
      const runtime: ApiRuntime = ManagedRuntime.make(Layer.merge(ApiServicesLayer.pipe(Layer.provideMerge(TestDatabaseLive())), down))
      yield* Effect.addFinalizer(() => Effect.promise(() => runtime.dispose()))
      const server = yield* Effect.acquireRelease(
        Effect.promise(() =>
          startApiServer(makeApp(runtime, { corsOrigins: [], apiKey: Option.none(), docsPublic: false }), { host: "127.0.0.1", port: 0 })
        ),
        (s) => Effect.promise(() => s.close(1000))
      )
      const response = yield* Effect.promise(() => fetch(`http://127.0.0.1:${server.port}/health`))
      expect(response.status).toBe(503)
      expect(response.headers.get("cache-control")).toBe("no-store")
      expect(yield* Effect.promise(() => response.json())).toEqual({
        status: "unhealthy",
        service: "commonforge-api",
        database: testDatabaseKind,
        reason: "database did not answer within 3 seconds"
      })
      const root = yield* Effect.promise(() => fetch(`http://127.0.0.1:${server.port}/`))
      expect(root.status).toBe(200)
    }), 120_000)

  it.scopedLive.skipIf(testDatabaseKind === "embedded")("a database that goes away mid-flight gives 503s, never 500s", () =>
    Effect.gen(function* () {
      const runtime: ApiRuntime = ManagedRuntime.make(ApiServicesLayer.pipe(Layer.provideMerge(TestDatabaseLive())))
      yield* Effect.addFinalizer(() => Effect.promise(() => runtime.dispose()))
      const target = yield* Effect.promise(() => runtime.runPromise(DatabaseTarget))
      const name = new URL(target.description).pathname.slice(1)
      const server = yield* Effect.acquireRelease(
        Effect.promise(() =>
          startApiServer(makeApp(runtime, { corsOrigins: [], apiKey: Option.none(), docsPublic: false }), { host: "127.0.0.1", port: 0 })
        ),
        (s) => Effect.promise(() => s.close(1000))
      )
      const url = `http://127.0.0.1:${server.port}`
      expect((yield* Effect.promise(() => fetch(`${url}/companies`))).status).toBe(200)
      // Another database on the same server, to drop the API's own from the outside.
      const admin = ManagedRuntime.make(TestDatabaseLive())
      yield* Effect.addFinalizer(() => Effect.promise(() => admin.dispose()))
      yield* Effect.promise(() =>
        admin.runPromise(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`DROP DATABASE ${name} WITH (FORCE)`)))
      )
      for (const path of ["/companies", "/companies/1", "/runs", "/health"]) {
        const response = yield* Effect.promise(() => fetch(`${url}${path}`))
        expect(response.status, path).toBe(503)
      }
    }), 120_000)
})
