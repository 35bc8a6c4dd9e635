import { Effect } from "effect"
import { parentPort, workerData } from "node:worker_threads"
import { type FixtureCounters, type FixtureSiteMap, serveFixtureSites } from "./fixtureSites.js"

/** Entry of startFixtureSitesInWorker: serves until the worker is terminated. */
const data = workerData as { latencyMs: number; sitesModule: string; sitesExport: string; counters: FixtureCounters }
const sites = (await import(data.sitesModule))[data.sitesExport] as FixtureSiteMap

Effect.runFork(
  Effect.gen(function* () {
    const server = yield* serveFixtureSites({ latencyMs: data.latencyMs, sites, counters: data.counters })
    parentPort!.postMessage({ port: server.port, refusedPort: server.refusedPort })
    return yield* Effect.never
  }).pipe(Effect.scoped)
)
