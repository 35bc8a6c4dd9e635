import { createRequire } from "node:module"
import * as path from "node:path"
import { gzipSync } from "node:zlib"

export interface ScalarBundle {
  readonly javascript: string
  readonly gzipped: Uint8Array
}

let cached: ScalarBundle | undefined

/**
 * The Scalar API reference's standalone browser bundle, served by our own server so that /docs works
 * without internet access. No @scalar package in the tree ships the browser build; @effect/platform
 * embeds one (for its own HttpApiScalar) as a string in an internal module, which we load by file path.
 */
export const scalarBundle = (): ScalarBundle => {
  if (cached) return cached
  const require = createRequire(import.meta.url)
  const publicModule = require.resolve("@effect/platform/HttpApiScalar")
  const { javascript } = require(path.join(path.dirname(publicModule), "internal", "httpApiScalar.js")) as { javascript: unknown }
  if (typeof javascript !== "string" || !javascript.includes("createApiReference")) {
    throw new Error("the Scalar bundle embedded in @effect/platform was not found or has an unexpected shape")
  }
  cached = { javascript, gzipped: gzipSync(javascript) }
  return cached
}
