import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { DatabaseError } from "./DatabaseError.js"

export interface EmbeddedPostgres {
  readonly host: string
  readonly port: number
  readonly dataDir: string
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** PGlite does not lock its directory; two processes writing to it would corrupt it. */
const acquireLock = (lockFile: string) =>
  Effect.try({
    try: () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" })
          return
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
          const holder = Number.parseInt(fs.readFileSync(lockFile, "utf8"), 10)
          if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
            throw new DatabaseError({
              reason: "Locked",
              message:
                `the embedded database at ${path.dirname(lockFile)} is in use by process ${holder}; ` +
                `stop that process, or set DATABASE_URL to use a Postgres server that several processes can share`
            })
          }
          fs.rmSync(lockFile, { force: true })
        }
      }
      throw new Error(`could not take the lock file ${lockFile}`)
    },
    catch: (error) =>
      error instanceof DatabaseError
        ? error
        : new DatabaseError({ reason: "Unavailable", message: `embedded database lock: ${String(error)}`, cause: error })
  })

/**
 * Starts PGlite on `dataDir` and serves it on a loopback port chosen at start, so the rest of the program
 * reaches it through the same `pg` driver as a real server. The socket server funnels every connection
 * into one PGlite session: the client pool must be exactly 1, while the server needs a little headroom for
 * reconnects.
 */
export const startEmbeddedPostgres = (dataDir: string) =>
  Effect.gen(function* () {
    const dir = path.resolve(dataDir)
    fs.mkdirSync(dir, { recursive: true })
    const lockFile = path.join(dir, "..", `${path.basename(dir)}.lock`)
    yield* Effect.acquireRelease(acquireLock(lockFile), () =>
      Effect.sync(() => fs.rmSync(lockFile, { force: true }))
    )
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => PGlite.create({ dataDir: dir }),
        catch: (cause) =>
          new DatabaseError({ reason: "Unavailable", message: `could not open the embedded database at ${dir}: ${String(cause)}`, cause })
      }),
      (db) => Effect.promise(() => db.close()).pipe(Effect.timeout("10 seconds"), Effect.ignore)
    )
    const server = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 3 })
          await server.start()
          return server
        },
        catch: (cause) =>
          new DatabaseError({ reason: "Unavailable", message: `could not serve the embedded database: ${String(cause)}`, cause })
      }),
      (server) => Effect.promise(() => server.stop()).pipe(Effect.timeout("5 seconds"), Effect.ignore)
    )
    const port = Number(server.getServerConn().split(":").at(-1))
    return { host: "127.0.0.1", port, dataDir: dir } satisfies EmbeddedPostgres
  })
