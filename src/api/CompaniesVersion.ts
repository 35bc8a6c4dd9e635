import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Deferred, Effect, Exit, Redacted, Schedule } from "effect"
import Pg from "pg"

const CHANNEL = "companies_version"

/**
 * The data version of the companies table (bumped by every write, migrations 0031–0032), which the API's
 * caches are keyed by. It is followed through LISTEN on a dedicated connection, so
 * reading it costs no round trip; the version is then current within the notification delay after a
 * commit. Whenever that connection is not established (starting, lost, reconnecting), each read asks the
 * database.
 */
export class CompaniesVersion extends Effect.Service<CompaniesVersion>()("CompaniesVersion", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const pg = yield* PgClient.PgClient

    const query = sql<{ version: number }>`SELECT version FROM companies_version`.pipe(
      Effect.map((rows) => rows[0]?.version ?? 0)
    )
    const state = { listening: false, known: 0, maxSeen: 0 }

    const connect = Effect.tryPromise(async () => {
      const config = pg.config
      const client = new Pg.Client(
        config.url
          ? { connectionString: Redacted.value(config.url), application_name: "commonforge-api-listen" }
          : {
              host: config.host,
              port: config.port,
              user: config.username,
              password: config.password ? Redacted.value(config.password) : undefined,
              database: config.database,
              ssl: config.ssl,
              application_name: "commonforge-api-listen"
            }
      )
      await client.connect()
      return client
    })

    const session = Effect.gen(function* () {
      const client = yield* Effect.acquireRelease(connect, (client) =>
        Effect.promise(() => client.end().catch(() => undefined)).pipe(Effect.timeoutOption("2 seconds"))
      )
      const lost = yield* Deferred.make<void>()
      client.on("notification", (message) => {
        if (message.channel !== CHANNEL) return
        const version = Number(message.payload)
        if (!Number.isSafeInteger(version)) return
        state.maxSeen = Math.max(state.maxSeen, version)
        if (state.listening) state.known = Math.max(state.known, version)
      })
      client.on("error", () => Deferred.unsafeDone(lost, Exit.void))
      client.on("end", () => Deferred.unsafeDone(lost, Exit.void))
      yield* Effect.tryPromise(() => client.query(`LISTEN ${CHANNEL}`))
      // Read only once LISTEN is in effect: a commit after this read is then announced, one before it is
      // in what we read.
      state.known = Math.max(yield* query, state.maxSeen)
      state.listening = true
      yield* Deferred.await(lost)
      yield* Effect.logWarning("lost the companies_version LISTEN connection; reading the version per request until it is back")
    }).pipe(
      Effect.scoped,
      Effect.ensuring(Effect.sync(() => (state.listening = false))),
      Effect.catchAllCause((cause) => Effect.logWarning("cannot LISTEN for companies_version; retrying", cause))
    )

    yield* session.pipe(Effect.repeat(Schedule.spaced("2 seconds")), Effect.forkScoped)

    return {
      /** The version the next read of `companies` will see (on a server: within the notification delay). */
      current: Effect.suspend(() => (state.listening ? Effect.succeed(state.known) : query)),
      /** A version this server committed itself: known at once, so its next read sees its own write. */
      advanceTo: (version: number) =>
        Effect.sync(() => {
          if (state.listening) state.known = Math.max(state.known, version)
        }),
      isListening: () => state.listening
    } as const
  })
}) {}
