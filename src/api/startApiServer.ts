import { serve } from "@hono/node-server"
import type { Hono } from "hono"
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"

export interface ApiServer {
  readonly host: string
  readonly port: number
  /** Stops accepting connections, lets in-flight requests finish (cut off after `graceMs`), then resolves. */
  readonly close: (graceMs?: number) => Promise<void>
}

export const startApiServer = (app: Hono, options: { readonly host: string; readonly port: number }): Promise<ApiServer> =>
  new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }) as Server
    server.once("error", reject)
    server.once("listening", () => {
      server.off("error", reject)
      const address = server.address() as AddressInfo
      let closing: Promise<void> | undefined
      resolve({
        host: options.host,
        port: address.port,
        close: (graceMs = 10_000) =>
          (closing ??= new Promise<void>((done) => {
            const timer = setTimeout(() => server.closeAllConnections(), graceMs)
            // Keep-alive connections hold close() open: drop each one as soon as it has no request in flight.
            const idle = setInterval(() => server.closeIdleConnections(), 50)
            server.close(() => {
              clearTimeout(timer)
              clearInterval(idle)
              done()
            })
            server.closeIdleConnections()
          }))
      })
    })
  })
