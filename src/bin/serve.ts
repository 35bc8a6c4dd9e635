import { Cause, Data, Effect, Exit, Layer, ManagedRuntime, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { ApiConfig } from "../config/ApiConfig.js"
import { configProviderWithDotEnv } from "../config/DotEnv.js"
import { ExitCode } from "../process/ExitCode.js"
import { exitWithFailure } from "../process/runProgram.js"
import { loggerLayer, resolveLogMode } from "../process/Logging.js"
import { ApiLayer } from "../api/ApiLayer.js"
import { makeApp } from "../api/makeApp.js"
import { startApiServer } from "../api/startApiServer.js"
import { isWatchedChild, runUnderWatcher } from "../api/watchMode.js"

class ServeError extends Data.TaggedError("ServeError")<{ readonly reason: "Listen"; readonly message: string }> {}

/** In-flight requests get this long to finish after SIGINT/SIGTERM before their connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000

const provider = await Effect.runPromise(configProviderWithDotEnv())
const loaded = Effect.runSyncExit(
  Effect.all({ settings: ApiConfig, log: resolveLogMode }).pipe(Effect.withConfigProvider(provider))
)
const { settings, log: { mode, level } } = Exit.getOrElse(loaded, (cause) => exitWithFailure(cause))

if (settings.reload && !isWatchedChild()) {
  // Reloading is for editing the sources: run and watch them (with tsx), not their build in dist/.
  const here = fileURLToPath(import.meta.url)
  const source = path.resolve(path.dirname(here), "../../src/bin/serve.ts")
  process.exit(await runUnderWatcher(here.endsWith(".js") && fs.existsSync(source) ? source : here))
}

const runtime = ManagedRuntime.make(
  ApiLayer.pipe(Layer.provideMerge(loggerLayer(mode, level)), Layer.provide(Layer.setConfigProvider(provider)))
)
const started = await runtime.runtimeEffect.pipe(Effect.exit, Effect.runPromise)
if (Exit.isFailure(started)) {
  await runtime.dispose()
  exitWithFailure(started.cause)
}

const app = makeApp(runtime, {
  corsOrigins: settings.corsOrigins,
  apiKey: settings.apiKey,
  docsPublic: settings.docsPublic,
  hotScore: settings.hotScore,
  warmScore: settings.warmScore
})
const server = await startApiServer(app, { host: settings.host, port: settings.port }).catch((error: Error) =>
  runtime.dispose().then(() =>
    exitWithFailure(Cause.fail(new ServeError({ reason: "Listen", message: `cannot listen on ${settings.host}:${settings.port}: ${error.message}` })))
  )
)
const shown = settings.host === "0.0.0.0" || settings.host === "::" ? "localhost" : settings.host
await runtime.runPromise(
  Effect.logInfo(`listening on http://${shown}:${server.port} (leads at http://${shown}:${server.port}/app, docs at /docs)`).pipe(
    Effect.annotateLogs({ host: settings.host, port: server.port, api_key: Option.isSome(settings.apiKey) ? "required" : "off" })
  )
)

const loopback = /^(?:127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(settings.host)
if (Option.isNone(settings.apiKey) && !loopback) {
  await runtime.runPromise(
    Effect.logWarning(
      `API_KEY is not set and the server listens on ${settings.host}: anyone who can reach it can read every lead and change overrides at /app; set API_KEY or API_HOST=127.0.0.1`
    )
  )
}

let stopping = false
const shutdown = (signal: NodeJS.Signals) => async () => {
  if (stopping) return
  stopping = true
  await runtime.runPromise(Effect.logInfo(`received ${signal}: finishing in-flight requests, then stopping`))
  await server.close(SHUTDOWN_GRACE_MS)
  await runtime.dispose()
  process.exit(ExitCode.Ok)
}
// `on`, not `once`: a second signal (a watcher relaying one the terminal also sent) must not kill the
// process before the database is closed; the grace period bounds the wait.
process.on("SIGINT", shutdown("SIGINT"))
process.on("SIGTERM", shutdown("SIGTERM"))
