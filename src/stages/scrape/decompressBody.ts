import * as zlib from "node:zlib"

export type DecompressResult =
  | { readonly _tag: "Ok"; readonly bytes: Uint8Array }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Invalid"; readonly message: string }

const tooLarge = (cause: unknown) =>
  cause instanceof RangeError || (cause as { code?: string }).code === "ERR_BUFFER_TOO_LARGE"

/**
 * Undoes Content-Encoding with the decoded size capped at `maxBytes` (a small gzip can inflate to gigabytes).
 * Only the codings we advertise in Accept-Encoding; "deflate" is tried as zlib then raw, as servers send both.
 */
export const decompressBody = (bytes: Uint8Array, contentEncoding: string | undefined, maxBytes: number): DecompressResult => {
  const codings = (contentEncoding ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity")
  let current: Uint8Array = bytes
  const options = { maxOutputLength: maxBytes + 1 }
  // Codings are listed in the order they were applied: undo them from the last.
  for (const coding of codings.reverse()) {
    try {
      switch (coding) {
        case "gzip":
        case "x-gzip":
          current = zlib.gunzipSync(current, { ...options, finishFlush: zlib.constants.Z_SYNC_FLUSH })
          break
        case "deflate":
          try {
            current = zlib.inflateSync(current, options)
          } catch (cause) {
            if (tooLarge(cause)) throw cause
            current = zlib.inflateRawSync(current, options)
          }
          break
        case "br":
          current = zlib.brotliDecompressSync(current, options)
          break
        default:
          return { _tag: "Invalid", message: `unsupported Content-Encoding '${coding}'` }
      }
    } catch (cause) {
      if (tooLarge(cause)) return { _tag: "TooLarge" }
      return { _tag: "Invalid", message: `cannot decode ${coding} body: ${(cause as Error).message ?? String(cause)}` }
    }
    if (current.byteLength > maxBytes) return { _tag: "TooLarge" }
  }
  return { _tag: "Ok", bytes: current }
}
