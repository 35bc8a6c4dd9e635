import { Effect } from "effect"
import { Readable } from "node:stream"
import * as zlib from "node:zlib"

const decoderFor = (coding: string): NodeJS.ReadWriteStream | undefined => {
  switch (coding) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
    case "deflate":
      return zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
    case "br":
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
    default:
      return undefined
  }
}

/**
 * The first `limit` bytes of a robots.txt body, Content-Encoding undone, as text; what lies beyond is ignored,
 * as Google does past 500 KiB, and never makes the file unreadable: a compressed body is decoded as a stream and
 * the decoding stopped at the limit (a gzip bomb costs `limit`), a truncated one yields what it holds.
 */
export const readRobotsText = (bytes: Uint8Array, contentEncoding: string | undefined, limit: number): Effect.Effect<string, string> => {
  const codings = (contentEncoding ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity")
    .reverse()
  const decoders = codings.map(decoderFor)
  const unsupported = codings.find((_, i) => decoders[i] === undefined)
  if (unsupported !== undefined) return Effect.fail(`unsupported Content-Encoding '${unsupported}'`)
  const text = (body: Uint8Array) => new TextDecoder().decode(body.subarray(0, limit))
  if (decoders.length === 0) return Effect.succeed(text(bytes))
  return Effect.async<string, string>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const streams: Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream> = [Readable.from([Buffer.from(bytes)]), ...decoders.map((d) => d!)]
    const stop = () => {
      done = true
      for (const stream of streams) (stream as unknown as { destroy: () => void }).destroy()
    }
    const end = (error?: string) => {
      if (done) return
      stop()
      if (error !== undefined && size === 0) resume(Effect.fail(error))
      else resume(Effect.succeed(text(Buffer.concat(chunks))))
    }
    let last: NodeJS.ReadableStream = streams[0] as NodeJS.ReadableStream
    for (const decoder of streams.slice(1)) {
      last.on("error", (e: Error) => end(e.message))
      last = last.pipe(decoder as NodeJS.ReadWriteStream)
    }
    last.on("data", (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (size >= limit) end()
    })
    last.on("error", (e: Error) => end(`cannot decode body: ${e.message}`))
    last.on("end", () => end())
    return Effect.sync(stop)
  })
}
