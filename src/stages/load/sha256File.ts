import { Effect } from "effect"
import { createHash } from "node:crypto"
import { createReadStream } from "node:fs"
import { fileError } from "./fileErrors.js"
import type { LoadError } from "./LoadError.js"

/** The file's SHA-256 as lowercase hex, streamed. */
export const sha256File = (path: string): Effect.Effect<string, LoadError> =>
  Effect.async<string, LoadError>((resume) => {
    const hash = createHash("sha256")
    const stream = createReadStream(path, { highWaterMark: 1 << 20 })
    stream.on("data", (chunk) => hash.update(chunk))
    stream.on("error", (error) => resume(Effect.fail(fileError(path, error))))
    stream.on("end", () => resume(Effect.succeed(hash.digest("hex"))))
    return Effect.sync(() => stream.destroy())
  })
