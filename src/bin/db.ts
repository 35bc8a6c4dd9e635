import { Command } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Option } from "effect"
import { DatabaseConfig } from "../config/DatabaseConfig.js"
import { configProviderWithDotEnv } from "../config/DotEnv.js"
import { EmbeddedPostgres, type EmbeddedStatus } from "../db/EmbeddedPostgres.js"
import { errorMessage } from "../process/errorMessage.js"
import { ExitCode, exitCodeForCause } from "../process/ExitCode.js"

/**
 * pnpm db status|start|stop: the embedded PostgreSQL of EMBEDDED_DATA_DIR. Programs start it on their own
 * when they need it and the last one out stops it; `start` keeps it up until `stop`.
 */

const dataDir = Effect.gen(function* () {
  const config = yield* DatabaseConfig
  if (Option.isSome(config.url)) {
    yield* Console.error("note: DATABASE_URL is set, so the programs use that server, not this embedded database")
  }
  return config.dataDir
})

const describe = (status: EmbeddedStatus) =>
  status.running
    ? `running on 127.0.0.1:${status.port} (pid ${status.pid}), data in ${status.dataDir}; ` +
      (status.kept ? "kept up by `pnpm db start` until `pnpm db stop`" : "stops when its last client exits")
    : `stopped; data in ${status.dataDir}${status.initialised ? "" : " (not created yet: the first program to need it creates it)"}`

const status = Command.make("status", {}, () =>
  Effect.gen(function* () {
    yield* Console.log(describe(yield* EmbeddedPostgres.status(yield* dataDir)))
  })
).pipe(Command.withDescription("Whether the embedded database is running, on which port."))

const start = Command.make("start", {}, () =>
  Effect.gen(function* () {
    const server = yield* EmbeddedPostgres.keep(yield* dataDir)
    yield* Console.log(
      `${server.started ? "started" : "already running"}: ${describe(yield* EmbeddedPostgres.status(server.dataDir))}`
    )
  })
).pipe(Command.withDescription("Start the embedded database (if needed) and keep it running until `pnpm db stop`."))

const stop = Command.make("stop", {}, () =>
  Effect.gen(function* () {
    const dir = yield* dataDir
    const stopped = yield* EmbeddedPostgres.stop(dir)
    yield* Console.log(stopped ? `stopped the embedded database in ${dir}` : `the embedded database in ${dir} was not running`)
  })
).pipe(Command.withDescription("Stop the embedded database (fast shutdown: open sessions are ended)."))

const cli = Command.run(
  Command.make("db").pipe(
    Command.withDescription("The embedded PostgreSQL used when DATABASE_URL is unset."),
    Command.withSubcommands([status, start, stop])
  ),
  { name: "CommonForge embedded database", version: "0.1.0" }
)

const main = Effect.gen(function* () {
  const provider = yield* configProviderWithDotEnv()
  yield* cli(process.argv).pipe(Effect.withConfigProvider(provider))
}).pipe(
  Effect.tapErrorCause((cause) =>
    Cause.isInterruptedOnly(cause) ? Effect.void : Effect.sync(() => process.stderr.write(`error: ${errorMessage(cause)}\n`))
  ),
  Effect.provide(NodeContext.layer)
)

NodeRuntime.runMain(main, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? ExitCode.Ok : exitCodeForCause(exit.cause))
})
