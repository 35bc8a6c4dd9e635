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
    // Node answers a request whose head is too large (a very long URL) before the app sees it, with an
    // empty body; answer it in the API's error shape instead.
    server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy()
      const [status, text, message] =
        error.code === "HPE_HEADER_OVERFLOW"
          ? [431, "Request Header Fields Too Large", "the request's URL or headers are too large"]
          : [400, "Bad Request", "the request is not valid HTTP"]
      const body = JSON.stringify({ error: message, details: [] })
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json; charset=utf-8\r\ncache-control: no-store\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
      )
    })
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
