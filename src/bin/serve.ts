import { Cause, ConfigError, Effect, Exit, Layer, ManagedRuntime, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { ApiConfig } from "../config/ApiConfig.js"
import { configProviderWithDotEnv } from "../config/DotEnv.js"
import { formatConfigError } from "../config/formatConfigError.js"
import { errorMessage } from "../process/errorMessage.js"
import { ExitCode, exitCodeForCause } from "../process/ExitCode.js"
import { loggerLayer, resolveLogMode } from "../process/Logging.js"
import { ApiLayer } from "../api/ApiLayer.js"
import { makeApp } from "../api/makeApp.js"
import { startApiServer } from "../api/startApiServer.js"
import { isWatchedChild, runUnderWatcher } from "../api/watchMode.js"

/** In-flight requests get this long to finish after SIGINT/SIGTERM before their connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000

function fail(message: string, code: number): never {
  process.stderr.write(`error: ${message}\n`)
  process.exit(code)
}

const provider = await Effect.runPromise(configProviderWithDotEnv())
const loaded = Effect.runSyncExit(
  Effect.all({ settings: ApiConfig, log: resolveLogMode }).pipe(Effect.withConfigProvider(provider))
)
if (Exit.isFailure(loaded)) {
  const error = Cause.failureOption(loaded.cause)
  fail(
    Option.isSome(error) && ConfigError.isConfigError(error.value)
      ? `configuration error:\n${formatConfigError(error.value)}`
      : errorMessage(loaded.cause),
    ExitCode.BadInput
  )
}
const { settings, log: { mode, level } } = loaded.value

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
  fail(errorMessage(started.cause), exitCodeForCause(started.cause))
}

const app = makeApp(runtime, { corsOrigins: settings.corsOrigins, apiKey: settings.apiKey, docsPublic: settings.docsPublic })
const server = await startApiServer(app, { host: settings.host, port: settings.port }).catch((error: Error) =>
  runtime.dispose().then(() => fail(`cannot listen on ${settings.host}:${settings.port}: ${error.message}`, ExitCode.Failures))
)
const shown = settings.host === "0.0.0.0" || settings.host === "::" ? "localhost" : settings.host
await runtime.runPromise(
  Effect.logInfo(`listening on http://${shown}:${server.port} (docs at http://${shown}:${server.port}/docs)`).pipe(
    Effect.annotateLogs({ host: settings.host, port: server.port, api_key: Option.isSome(settings.apiKey) ? "required" : "off" })
  )
)

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
