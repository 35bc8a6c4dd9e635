import { SqlClient } from "@effect/sql"
import { Context, Effect, HashMap, Layer, List, Logger, ManagedRuntime, Option, Redacted } from "effect"
import { ApiServicesLayer } from "../../src/api/ApiLayer.js"
import { makeApp, type ApiRuntime, type AppOptions } from "../../src/api/makeApp.js"
import { startApiServer } from "../../src/api/startApiServer.js"
import { TestDatabaseLive } from "./TestDatabase.js"

export interface CapturedLog {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
}

export interface HttpResult {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: any
}

export interface TestApiService {
  /** The server started with the options given to the layer. */
  readonly url: string
  readonly runtime: ApiRuntime
  readonly logs: Array<CapturedLog>
  readonly get: (path: string, init?: RequestInit) => Effect.Effect<HttpResult>
  /** Runs statements against the server's database (seeding, changing data under it). */
  readonly sql: <A>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) => Effect.Effect<A>
  /** Another server on the same runtime and database, with other options (API key, CORS...). */
  readonly startAnother: (options: Partial<AppOptions>) => Effect.Effect<string, never, import("effect").Scope.Scope>
}

export class TestApi extends Context.Tag("test/TestApi")<TestApi, TestApiService>() {}

const defaultOptions: AppOptions = { corsOrigins: [], apiKey: Option.none(), docsPublic: false }

export const apiKeyOption = (key: string) => Option.some(Redacted.make(key))

const fetchResult = (url: string, init?: RequestInit) =>
  Effect.promise(async (): Promise<HttpResult> => {
    const response = await fetch(url, init)
    const text = await response.text()
    let json: unknown = undefined
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, text, json }
  })

/**
 * The API on a fresh database (embedded, or the server of TEST_DATABASE_URL), served on a free loopback
 * port, with the server's log lines captured.
 */
export const TestApiLive = (options: Partial<AppOptions> = {}, env: Record<string, string> = {}) =>
  Layer.scoped(
    TestApi,
    Effect.gen(function* () {
      const logs: Array<CapturedLog> = []
      const capture = Logger.make(({ annotations, logLevel, message }) => {
        logs.push({
          level: logLevel.label,
          message: List.isList(message) ? String(message) : Array.isArray(message) ? message.map(String).join(" ") : String(message),
          annotations: Object.fromEntries(HashMap.toEntries(annotations))
        })
      })
      const runtime: ApiRuntime = ManagedRuntime.make(
        ApiServicesLayer.pipe(
          Layer.provideMerge(TestDatabaseLive(env)),
          Layer.provideMerge(Logger.replace(Logger.defaultLogger, capture))
        )
      )
      yield* Effect.addFinalizer(() => Effect.promise(() => runtime.dispose()))
      yield* Effect.promise(() => runtime.runtime())
      const serve = (appOptions: Partial<AppOptions>) =>
        Effect.acquireRelease(
          Effect.promise(() =>
            startApiServer(makeApp(runtime, { ...defaultOptions, ...appOptions }), { host: "127.0.0.1", port: 0 })
          ),
          (server) => Effect.promise(() => server.close(1000))
        ).pipe(Effect.map((server) => `http://127.0.0.1:${server.port}`))
      const url = yield* serve(options)
      return {
        url,
        runtime,
        logs,
        get: (path, init) => fetchResult(`${url}${path}`, init),
        sql: (f) => Effect.promise(() => runtime.runPromise(Effect.flatMap(SqlClient.SqlClient, f))),
        startAnother: serve
      } satisfies TestApiService
    })
  )
