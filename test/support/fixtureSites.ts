import { type Context, Effect, Layer, type Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as net from "node:net"
import { Worker } from "node:worker_threads"
import { HostResolver } from "../../src/stages/scrape/HostResolver.js"
import { ScrapeError } from "../../src/stages/scrape/ScrapeError.js"
import { SiteAddressing, withPathOf } from "../../src/stages/scrape/SiteAddressing.js"
import { generatedDomain, generatedSite } from "./generatedSites.js"

export interface FixtureResponse {
  readonly status?: number
  readonly headers?: Readonly<Record<string, string | ReadonlyArray<string>>>
  readonly body?: string | Uint8Array
  /** Added to the server-wide latency before this response starts. */
  readonly delayMs?: number
}

export type FixtureHandler = (request: http.IncomingMessage, response: http.ServerResponse) => void

/** One response, a sequence (the n-th request gets the n-th, the last one repeats), or a raw handler. */
export type FixtureRoute = FixtureResponse | ReadonlyArray<FixtureResponse> | FixtureHandler

export interface FixtureSite {
  /** By path (with query string); anything else answers 404, robots.txt included. */
  readonly routes: Readonly<Record<string, FixtureRoute>>
  /** false: a connection to the site's https:// URL is refused (a site without TLS). Default true. */
  readonly https?: boolean
  /** false: a connection to its http:// URL is refused. Default true. */
  readonly http?: boolean
}

export type FixtureSiteMap = Readonly<Record<string, FixtureSite>> | ((host: string) => FixtureSite | undefined)

export interface FixtureSitesOptions {
  /** Wait before every response, robots.txt and 404s included. */
  readonly latencyMs?: number
  readonly sites?: FixtureSiteMap
  /**
   * What a site's name resolves to (default 127.0.0.1). Whatever it is, the socket goes to the fixture server;
   * a public-looking address lets a test keep the address guard on (SCRAPER_ALLOW_PRIVATE_NETWORKS=false).
   */
  readonly siteAddress?: string
  /** Other names and what they resolve to (169.254.169.254, 10.0.0.1...): never connected to by the fixture. */
  readonly addresses?: Readonly<Record<string, ReadonlyArray<string>>>
}

export interface FixtureRequest {
  readonly host: string
  readonly path: string
  readonly userAgent: string | undefined
  readonly at: number
}

/** What every fixture server offers, in this thread or in a worker thread. */
export interface FixtureSitesHandle {
  readonly port: number
  readonly addressing: Context.Tag.Service<typeof SiteAddressing>
  readonly resolver: Context.Tag.Service<typeof HostResolver>
  /** HostResolver and SiteAddressing pointed at this server. */
  readonly layer: Layer.Layer<HostResolver | SiteAddressing>
  /** Requests received so far (served or being served). */
  readonly requests: () => number
  /** The most requests ever in progress at once, over all sites. */
  readonly peakInFlight: () => number
  /** The most requests ever in progress at once for any single host. */
  readonly peakPerHost: () => number
  readonly close: Effect.Effect<void>
}

export interface FixtureSites extends FixtureSitesHandle {
  readonly log: () => ReadonlyArray<FixtureRequest>
  /** The most requests ever in progress at once, for one host or (no host) for all. */
  readonly peakInFlight: (host?: string) => number
}

const siteLookup = (sites: FixtureSiteMap | undefined) => (host: string): FixtureSite | undefined =>
  sites === undefined ? undefined : typeof sites === "function" ? sites(host) : Object.hasOwn(sites, host) ? sites[host] : undefined

const isSequence = (route: FixtureRoute): route is ReadonlyArray<FixtureResponse> => Array.isArray(route)

const listen = (server: net.Server) =>
  Effect.async<number>((resume) => {
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
  })

/** A port on 127.0.0.1 nothing listens on: connecting to it is refused. */
const closedPort = Effect.gen(function* () {
  const probe = net.createServer()
  const port = yield* listen(probe)
  yield* Effect.async<void>((resume) => void probe.close(() => resume(Effect.void)))
  return port
})

/** Counters a worker thread can share: [requests, in flight, peak in flight, peak for one host]. */
export type FixtureCounters = Int32Array

/** The HTTP server alone (no resolver): what runs in a worker thread for benches. */
export const serveFixtureSites = (options: { readonly latencyMs?: number; readonly sites?: FixtureSiteMap; readonly counters?: FixtureCounters }) =>
  Effect.gen(function* () {
    const latencyMs = options.latencyMs ?? 0
    const siteFor = siteLookup(options.sites)
    const counters = options.counters ?? new Int32Array(4)
    const served = new Map<string, number>()
    const log: Array<FixtureRequest> = []
    const hostInFlight = new Map<string, number>()
    const hostPeaks = new Map<string, number>()

    const track = (host: string, delta: number) => {
      const all = Atomics.add(counters, 1, delta) + delta
      if (all > Atomics.load(counters, 2)) Atomics.store(counters, 2, all)
      const one = (hostInFlight.get(host) ?? 0) + delta
      hostInFlight.set(host, one)
      hostPeaks.set(host, Math.max(hostPeaks.get(host) ?? 0, one))
      if (one > Atomics.load(counters, 3)) Atomics.store(counters, 3, one)
    }

    const server = http.createServer((request, response) => {
      const host = (request.headers.host ?? "").replace(/:\d+$/, "").toLowerCase()
      const path = request.url ?? "/"
      log.push({ host, path, userAgent: request.headers["user-agent"], at: Date.now() })
      Atomics.add(counters, 0, 1)
      track(host, 1)
      response.once("close", () => track(host, -1))
      const route = siteFor(host)?.routes[path]
      if (typeof route === "function") {
        setTimeout(() => route(request, response), latencyMs)
        return
      }
      const key = `${host} ${path}`
      const count = served.get(key) ?? 0
      served.set(key, count + 1)
      const answer: FixtureResponse =
        route === undefined
          ? { status: 404, headers: { "content-type": "text/html" }, body: "<html><body>Not found</body></html>" }
          : isSequence(route)
            ? route[Math.min(count, route.length - 1)]!
            : route
      const timer = setTimeout(() => {
        if (response.destroyed) return
        response.writeHead(answer.status ?? 200, { ...answer.headers } as http.OutgoingHttpHeaders)
        response.end(answer.body ?? "")
      }, latencyMs + (answer.delayMs ?? 0))
      response.on("close", () => clearTimeout(timer))
    })
    server.keepAliveTimeout = 5_000
    server.on("clientError", (_, socket) => socket.destroy())

    const port = yield* listen(server)
    const refusedPort = yield* closedPort
    const close = Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    }).pipe(Effect.timeout("2 seconds"), Effect.ignore)
    yield* Effect.addFinalizer(() => close)
    return {
      port,
      refusedPort,
      log: () => log as ReadonlyArray<FixtureRequest>,
      hostPeak: (host: string) => hostPeaks.get(host) ?? 0,
      counters,
      close
    }
  })

/** A resolver and an addressing that send the sites' https:// and http:// URLs to the fixture server. */
export const fixtureSitesClient = (options: {
  readonly port: number
  readonly refusedPort: number
  readonly sites?: FixtureSiteMap | undefined
  readonly siteAddress?: string | undefined
  readonly addresses?: Readonly<Record<string, ReadonlyArray<string>>> | undefined
}) => {
  const siteFor = siteLookup(options.sites)
  const siteAddress = options.siteAddress ?? "127.0.0.1"
  const resolver: Context.Tag.Service<typeof HostResolver> = {
    resolve: (host) => {
      const explicit = options.addresses?.[host]
      if (explicit) return Effect.succeed(explicit)
      if (net.isIP(host) !== 0) return Effect.succeed([host])
      if (siteFor(host)) return Effect.succeed([siteAddress])
      return Effect.fail(new ScrapeError({ reason: "DnsFailure", message: `${host} does not resolve (ENOTFOUND)` }))
    }
  }
  const addressing: Context.Tag.Service<typeof SiteAddressing> = {
    dial: (url) => {
      const site = siteFor(url.hostname)
      const reachable = site !== undefined && (url.protocol === "https:" ? site.https !== false : site.http !== false)
      return { url: withPathOf(`http://127.0.0.1:${reachable ? options.port : options.refusedPort}`, url), hostHeader: url.host }
    }
  }
  return {
    resolver,
    addressing,
    layer: Layer.mergeAll(Layer.succeed(HostResolver, resolver), Layer.succeed(SiteAddressing, addressing))
  }
}

/**
 * One HTTP server on 127.0.0.1 serving many fake sites, told apart by the Host header, with a HostResolver
 * and a SiteAddressing that send every site's https:// and http:// URLs to it. Closed with the scope.
 */
export const startFixtureSites = (options: FixtureSitesOptions = {}): Effect.Effect<FixtureSites, never, Scope.Scope> =>
  Effect.gen(function* () {
    const server = yield* serveFixtureSites(options)
    const client = fixtureSitesClient({ ...options, port: server.port, refusedPort: server.refusedPort })
    return {
      port: server.port,
      ...client,
      requests: () => Atomics.load(server.counters, 0),
      log: server.log,
      peakInFlight: (host?: string) => (host === undefined ? Atomics.load(server.counters, 2) : server.hostPeak(host)),
      peakPerHost: () => Atomics.load(server.counters, 3),
      close: server.close
    }
  })

/**
 * The same server in a worker thread, like a remote server whose work does not slow the client (benches).
 * The sites are `sitesExport` of the module at `sitesModule` (a URL), imported by both threads.
 */
export const startFixtureSitesInWorker = (options: {
  readonly latencyMs?: number
  readonly sitesModule: string
  readonly sitesExport: string
  readonly siteAddress?: string
}): Effect.Effect<FixtureSitesHandle, never, Scope.Scope> =>
  Effect.gen(function* () {
    const sites = (yield* Effect.promise(() => import(options.sitesModule)))[options.sitesExport] as FixtureSiteMap
    const counters = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT))
    const entry = new URL("./fixtureSitesWorker.ts", import.meta.url).href
    const { worker, port, refusedPort } = yield* Effect.acquireRelease(
      Effect.async<{ worker: Worker; port: number; refusedPort: number }>((resume) => {
        const worker = new Worker(
          `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(entry)}) })`,
          { eval: true, workerData: { latencyMs: options.latencyMs ?? 0, sitesModule: options.sitesModule, sitesExport: options.sitesExport, counters } }
        )
        worker.once("message", (m: { port: number; refusedPort: number }) => resume(Effect.succeed({ worker, ...m })))
        worker.once("error", (error) => resume(Effect.die(error)))
      }),
      ({ worker }) => Effect.promise(() => worker.terminate())
    )
    const client = fixtureSitesClient({ port, refusedPort, sites, siteAddress: options.siteAddress })
    return {
      port,
      ...client,
      requests: () => Atomics.load(counters, 0),
      peakInFlight: () => Atomics.load(counters, 2),
      peakPerHost: () => Atomics.load(counters, 3),
      close: Effect.promise(() => worker.terminate()).pipe(Effect.asVoid)
    }
  })

export interface GeneratedSitesOptions {
  /** How many domains to list: `site-0001.example` up to `site-{count}.example` (any `site-N.example` is served). */
  readonly count: number
  /** Wait before every response (robots.txt and 404s included). Default 0. */
  readonly latencyMs?: number
  /** Serve from a worker thread, so that the server's work does not load this thread (benches). Default false. */
  readonly inWorker?: boolean
}

export interface GeneratedSites extends FixtureSitesHandle {
  /** `site-0001.example`, ...: the domains to put in a CSV. */
  readonly domains: ReadonlyArray<string>
  /** `127.0.0.1:<port>`, the value for SCRAPER_CONNECT_TO. */
  readonly connectTo: string
  /** What a child process (the real CLI) needs to scrape these sites: SCRAPER_CONNECT_TO and the private-network allowance. */
  readonly env: Readonly<Record<string, string>>
}

/**
 * A fixture server for `count` generated company sites, routing by Host header, for tests and benches that run
 * the real CLI: start it, then run the CLI with `env` (SCRAPER_CONNECT_TO=127.0.0.1:<port>). Closed with the scope.
 */
export const startGeneratedSites = (options: GeneratedSitesOptions): Effect.Effect<GeneratedSites, never, Scope.Scope> =>
  Effect.gen(function* () {
    const handle: FixtureSitesHandle = options.inWorker
      ? yield* startFixtureSitesInWorker({
          latencyMs: options.latencyMs ?? 0,
          sitesModule: new URL("./generatedSites.ts", import.meta.url).href,
          sitesExport: "generatedSite"
        })
      : yield* startFixtureSites({ latencyMs: options.latencyMs ?? 0, sites: generatedSite })
    const connectTo = `127.0.0.1:${handle.port}`
    return {
      ...handle,
      domains: Array.from({ length: options.count }, (_, i) => generatedDomain(i + 1)),
      connectTo,
      env: { SCRAPER_CONNECT_TO: connectTo, SCRAPER_ALLOW_PRIVATE_NETWORKS: "true" }
    }
  })

/** A small HTML page; `links` become an <a> each. */
export const htmlPage = (options: { title?: string; description?: string; body: string; links?: ReadonlyArray<[href: string, text: string]> }) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${options.title ?? ""}</title>` +
  (options.description ? `<meta name="description" content="${options.description}">` : "") +
  `</head><body><nav>${(options.links ?? []).map(([href, text]) => `<a href="${href}">${text}</a>`).join(" ")}</nav>` +
  `<main><p>${options.body}</p></main></body></html>`

export const html = (body: string, extra: Partial<FixtureResponse> = {}): FixtureResponse => ({
  status: 200,
  headers: { "content-type": "text/html; charset=utf-8" },
  body,
  ...extra
})
