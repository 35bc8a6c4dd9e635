import { isUtf8 } from "node:buffer"

/** Where an incomplete multi-byte sequence begins at the end of `bytes` (its length when there is none). */
const incompleteTail = (bytes: Uint8Array): number => {
  let start = bytes.length - 1
  while (start >= 0 && bytes.length - start < 4 && (bytes[start]! & 0xc0) === 0x80) start--
  if (start < 0) return bytes.length
  const lead = bytes[start]!
  const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1
  return bytes.length - start < needed ? start : bytes.length
}

/** Offset of the first byte that does not decode as UTF-8; only called once a chunk is known to be invalid. */
const firstInvalid = (bytes: Uint8Array): number => {
  let low = 0
  let high = bytes.length
  // The longest valid prefix, by bisection; a cut inside a sequence is valid when streamed, hence `stream: true`.
  while (low < high) {
    const mid = (low + high + 1) >>> 1
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid), { stream: true })
      low = mid
    } catch {
      high = mid - 1
    }
  }
  return low
}

/**
 * Checks a file's bytes as they stream by, chunk after chunk, and says on which line the first invalid byte sits.
 * Sequences split between chunks are carried over rather than reported.
 */
export class Utf8Check {
  private carry: Uint8Array = new Uint8Array(0)
  private newlines = 0

  /** The 1-based line of the first invalid byte, or null when the chunk (with what was carried) is valid so far. */
  push(chunk: Uint8Array): number | null {
    const bytes = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk])
    const end = incompleteTail(bytes)
    const complete = bytes.subarray(0, end)
    if (!isUtf8(complete)) return this.lineAt(complete, firstInvalid(complete))
    this.newlines += countNewlines(complete, complete.length)
    this.carry = bytes.slice(end)
    return null
  }

  /** At the end of the file: the line of a sequence left incomplete, or null. */
  finish(): number | null {
    return this.carry.length === 0 ? null : this.newlines + 1
  }

  private lineAt(bytes: Uint8Array, offset: number): number {
    return this.newlines + countNewlines(bytes, offset) + 1
  }
}

const countNewlines = (bytes: Uint8Array, end: number): number => {
  let count = 0
  let at = bytes.indexOf(10)
  while (at !== -1 && at < end) {
    count++
    at = bytes.indexOf(10, at + 1)
  }
  return count
}
