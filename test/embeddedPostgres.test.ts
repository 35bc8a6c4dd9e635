import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Stream } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { CompaniesVersion } from "../src/api/CompaniesVersion.js"
import { DatabaseLive } from "../src/db/Database.js"
import { EmbeddedPostgres } from "../src/db/EmbeddedPostgres.js"
import { runCli, startProgram, waitUntil } from "./support/pipelineHarness.js"
import { configFrom, freshEmbeddedDir, makeTempDir } from "./support/TestDatabase.js"

/** A second program on the same embedded directory (test/support/embeddedClient.ts), held open until SIGTERM. */
const startClient = (dataDir: string, cwd: string) => {
  const program = startProgram("test/support/embeddedClient.ts", [], { EMBEDDED_DATA_DIR: dataDir }, cwd)
  const ready = waitUntil(() => program.output().stdout.includes('"ready":true'), 60_000).then(
    () => JSON.parse(program.output().stdout.split("\n").find((line) => line.includes('"ready":true'))!) as { description: string; backend: number }
  )
  return { ...program, ready }
}

const stopClient = (client: ReturnType<typeof startClient>) =>
  Effect.promise(() => {
    client.child.kill("SIGTERM")
    return client.done
  })

const postmastersOf = (dataDir: string) =>
  fs.readdirSync("/proc").filter((entry) => {
    try {
      return /^\d+$/.test(entry) && fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").includes(dataDir) &&
        fs.readFileSync(`/proc/${entry}/stat`, "utf8").split(" ")[3] !== entry
    } catch {
      return false
    }
  })

const startDb = (command: string, dataDir: string, cwd: string) =>
  Effect.promise(() => startProgram("src/bin/db.ts", [command], { EMBEDDED_DATA_DIR: dataDir }, cwd).done)

const isDead = (pid: number) => {
  try {
    process.kill(pid, 0)
    return false
  } catch {
    return true
  }
}

describe.skipIf(process.platform !== "linux")("embedded PostgreSQL", () => {
  it.scopedLive("two processes use it at once; the one that started it leaves it to the other; the last one out stops it", () =>
    Effect.gen(function* () {
      const dataDir = yield* freshEmbeddedDir()
      const cwd = path.dirname(dataDir)
      const first = startClient(dataDir, cwd)
      expect((yield* Effect.promise(() => first.ready)).description).toContain(", started)")
      const second = startClient(dataDir, cwd)
      const joined = yield* Effect.promise(() => second.ready)
      expect(joined.description).not.toContain("started")
      expect(postmastersOf(dataDir)).toHaveLength(1)

      expect((yield* stopClient(first)).code).toBe(0)
      const afterFirst = yield* EmbeddedPostgres.status(dataDir)
      expect(afterFirst.running).toBe(true)

      expect((yield* stopClient(second)).code).toBe(0)
      expect((yield* EmbeddedPostgres.status(dataDir)).running).toBe(false)
      expect(postmastersOf(dataDir)).toHaveLength(0)
    }), 120_000)

  it.scopedLive("two processes starting a fresh directory at once: one initialises and starts it, the other connects", () =>
    Effect.gen(function* () {
      const dataDir = yield* freshEmbeddedDir("race")
      const cwd = path.dirname(dataDir)
      const clients = [startClient(dataDir, cwd), startClient(dataDir, cwd)]
      const ready = yield* Effect.promise(() => Promise.all(clients.map((c) => c.ready)))
      expect(ready.filter((r) => r.description.includes(", started)"))).toHaveLength(1)
      const ports = ready.map((r) => /127\.0\.0\.1:(\d+)/.exec(r.description)?.[1])
      expect(ports[0]).toBe(ports[1])
      expect(postmastersOf(dataDir)).toHaveLength(1)
      expect(fs.readdirSync(cwd).filter((name) => name.includes(".init-"))).toEqual([])
      for (const client of clients) yield* stopClient(client)
      expect((yield* EmbeddedPostgres.status(dataDir)).running).toBe(false)
    }), 120_000)

  it.scopedLive("LISTEN/NOTIFY is delivered, and the API's data version follows it", () =>
    Effect.gen(function* () {
      const dataDir = yield* freshEmbeddedDir("notify")
      yield* Effect.gen(function* () {
        const pg = yield* PgClient.PgClient
        const sql = yield* SqlClient.SqlClient
        const received = yield* pg.listen("cf_test").pipe(Stream.take(1), Stream.runCollect, Effect.fork)
        // LISTEN is issued when the stream starts: notify until it is heard.
        const sender = yield* sql`SELECT pg_notify('cf_test', 'hello')`.pipe(
          Effect.zipRight(Effect.sleep("100 millis")),
          Effect.forever,
          Effect.fork
        )
        const payload = yield* Fiber.join(received).pipe(Effect.timeout("20 seconds"))
        yield* Fiber.interrupt(sender)
        expect(Chunk.toReadonlyArray(payload)).toEqual(["hello"])

        const version = yield* CompaniesVersion
        yield* Effect.promise(() => waitUntil(() => version.isListening(), 20_000))
        const before = yield* version.current
        yield* sql`INSERT INTO companies (company_name, domain) VALUES ('Acme', 'acme.com')`
        yield* Effect.promise(() => waitUntil(() => Effect.runSync(version.current) > before, 5_000))
        expect(version.isListening()).toBe(true)
      }).pipe(
        Effect.provide(CompaniesVersion.Default.pipe(Layer.provideMerge(DatabaseLive), Layer.provide(configFrom({ EMBEDDED_DATA_DIR: dataDir }))))
      )
    }), 60_000)

  it.scopedLive("pnpm db start keeps it up after its clients exit, status says so, stop stops it", () =>
    Effect.gen(function* () {
      const dataDir = yield* freshEmbeddedDir("dbcmd")
      const cwd = path.dirname(dataDir)
      const stopped = yield* startDb("status", dataDir, cwd)
      expect(stopped.code).toBe(0)
      expect(stopped.stdout).toContain("stopped")

      const started = yield* startDb("start", dataDir, cwd)
      expect(started.code).toBe(0)
      expect(started.stdout).toMatch(/^started: running on 127\.0\.0\.1:\d+/)
      const client = startClient(dataDir, cwd)
      expect((yield* Effect.promise(() => client.ready)).description).not.toContain("started")
      yield* stopClient(client)
      const status = yield* startDb("status", dataDir, cwd)
      expect(status.stdout).toContain("kept up by `pnpm db start`")
      expect((yield* EmbeddedPostgres.status(dataDir)).running).toBe(true)

      const stop = yield* startDb("stop", dataDir, cwd)
      expect(stop.code).toBe(0)
      expect(stop.stdout).toContain("stopped the embedded database")
      expect((yield* EmbeddedPostgres.status(dataDir)).running).toBe(false)
      expect((yield* startDb("stop", dataDir, cwd)).stdout).toContain("was not running")

      // A keep mark left by a server since stopped does not keep the next one up.
      const client2 = startClient(dataDir, cwd)
      expect((yield* Effect.promise(() => client2.ready)).description).toContain(", started)")
      yield* stopClient(client2)
      expect((yield* EmbeddedPostgres.status(dataDir)).running).toBe(false)
    }), 120_000)

  it.scopedLive("kill -9 of the client and of the server: the next start recovers the data, on a new port if the old one is taken", () =>
    Effect.gen(function* () {
      const dataDir = yield* freshEmbeddedDir("kill9")
      const cwd = path.dirname(dataDir)
      const layer = DatabaseLive.pipe(Layer.provide(configFrom({ EMBEDDED_DATA_DIR: dataDir })))
      const client = startClient(dataDir, cwd)
      yield* Effect.promise(() => client.ready)
      yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`INSERT INTO companies (company_name, domain) VALUES ('Acme', 'acme.com')`).pipe(
        Effect.provide(layer)
      )
      const before = yield* EmbeddedPostgres.status(dataDir)
      expect(before.running).toBe(true)
      client.child.kill("SIGKILL")
      process.kill(before.pid!, "SIGKILL")
      yield* Effect.promise(() => waitUntil(() => isDead(before.pid!), 10_000))
      expect(fs.existsSync(path.join(dataDir, "postmaster.pid"))).toBe(true)

      // Something else now listens on the recorded port.
      const squatter = net.createServer()
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => void squatter.listen(before.port!, "127.0.0.1", () => resume(Effect.void))),
        () => Effect.sync(() => squatter.close())
      )
      const names = yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ name: string }>`SELECT company_name AS name FROM companies`).pipe(
        Effect.provide(layer)
      )
      expect(names).toEqual([{ name: "Acme" }])
      const portFile = JSON.parse(fs.readFileSync(`${dataDir}.port`, "utf8")) as { port: number }
      expect(portFile.port).not.toBe(before.port)
      expect((yield* EmbeddedPostgres.status(dataDir)).running).toBe(false)
    }), 120_000)

  it.scopedLive("an earlier version's .data/pglite is refused with exit 2 and what to do", () =>
    Effect.gen(function* () {
      const cwd = makeTempDir("legacy")
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(cwd, { recursive: true, force: true })))
      fs.mkdirSync(path.join(cwd, ".data/pglite"), { recursive: true })
      fs.writeFileSync(path.join(cwd, "companies.csv"), "company_name,domain,country,employee_count,industry_raw\nAcme,acme.com,US,10,Software\n")
      const result = yield* runCli(["--input", "companies.csv"], {}, cwd)
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(`found ${path.join(cwd, ".data/pglite")}, the embedded database of an earlier version (PGlite)`)
      expect(result.stderr).toContain(`mv ${path.join(cwd, ".data/pglite")}`)
      expect(fs.existsSync(path.join(cwd, ".data/postgres"))).toBe(false)
    }), 60_000)
})
