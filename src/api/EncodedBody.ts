import { promisify } from "node:util"
import { constants, gzip } from "node:zlib"

const gzipAsync = promisify(gzip)

// The fastest level: a page still shrinks about five-fold, and a page that is not cached is compressed per request.
const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED }

/** Below this a response is sent as is: compressing it would cost more than sending it. */
const MIN_COMPRESSED = 1024

/**
 * A response body encoded once, with its gzip form made on first demand (off the event loop) and kept
 * beside it, so a cached page is compressed once however often it is sent.
 */
export interface EncodedBody {
  readonly bytes: Uint8Array
  gzipped?: Promise<Uint8Array>
}

export const encodedBody = (bytes: Uint8Array): EncodedBody => ({ bytes })

// "gzip" listed, and not refused with q=0.
const acceptsGzip = (header: string | undefined) =>
  header !== undefined && /(?:^|,)\s*(?:gzip|\*)\s*(?:;\s*q\s*=\s*(?!0(?:\.0*)?\s*(?:,|$))[\d.]+\s*)?(?:,|$)/i.test(header)

/** The bytes to send for a request's Accept-Encoding, and the headers that go with them. */
export const negotiate = async (
  body: EncodedBody,
  acceptEncoding: string | undefined
): Promise<{ readonly bytes: Uint8Array; readonly headers: Record<string, string> }> => {
  if (body.bytes.byteLength < MIN_COMPRESSED) return { bytes: body.bytes, headers: {} }
  if (!acceptsGzip(acceptEncoding)) return { bytes: body.bytes, headers: { vary: "Accept-Encoding" } }
  body.gzipped ??= gzipAsync(body.bytes, GZIP_OPTIONS).then((buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength))
  return { bytes: await body.gzipped, headers: { "content-encoding": "gzip", vary: "Accept-Encoding" } }
}
