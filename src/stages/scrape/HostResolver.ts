import { Context, Effect, Layer } from "effect"
import * as dns from "node:dns/promises"
import * as net from "node:net"
import { ScrapeError } from "./ScrapeError.js"

const notFound = new Set(["ENOTFOUND", "ENODATA", "EAI_NONAME", "EAI_NODATA", "EAI_FAIL", "EAI_AGAIN", "ESERVFAIL"])

/** Host name to IP addresses; tests replace it so fake names resolve to the fixture server (or anywhere). */
export class HostResolver extends Context.Tag("HostResolver")<
  HostResolver,
  { readonly resolve: (host: string) => Effect.Effect<ReadonlyArray<string>, ScrapeError> }
>() {
  /** The operating system's resolver (getaddrinfo), every address of every family. */
  static readonly System = Layer.succeed(HostResolver, {
    resolve: (host) =>
      net.isIP(host)
        ? Effect.succeed([host])
        : Effect.tryPromise({
            try: () => dns.lookup(host, { all: true, verbatim: true }),
            catch: (cause) => {
              const code = (cause as { code?: string }).code ?? ""
              return new ScrapeError({
                reason: "DnsFailure",
                message: notFound.has(code) ? `${host} does not resolve (${code})` : `cannot resolve ${host}: ${String(cause)}`
              })
            }
          }).pipe(
            Effect.flatMap((entries) =>
              entries.length === 0
                ? Effect.fail(new ScrapeError({ reason: "DnsFailure", message: `${host} has no address` }))
                : Effect.succeed(entries.map((e) => e.address))
            )
          )
  })
}
