const CR = 13
const LF = 10

/**
 * Rewrites a byte stream's CRLF and lone CR line endings to LF, chunk after chunk (a CR ending one chunk waits for
 * the next to see whether an LF follows).
 *
 * Why: csv-parse checks every byte against each record delimiter it is given, and allowing all three endings (for
 * files that mix them, as pasted-together exports do) costs it about 15% more than one. With one ending left, it
 * gets one. LF-only input passes through untouched; values keep their line breaks, as LF.
 */
export class LineEndings {
  private pendingCr = false

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk
    let from = 0
    let cr = chunk.indexOf(CR)
    if (cr === -1 && !this.pendingCr) return chunk
    const out = Buffer.allocUnsafe(chunk.length + 1)
    let length = 0
    if (this.pendingCr) {
      out[length++] = LF
      this.pendingCr = false
      if (chunk[0] === LF) from = 1
      cr = chunk.indexOf(CR, from)
    }
    while (cr !== -1) {
      length += chunk.copy(out, length, from, cr)
      if (cr === chunk.length - 1) {
        this.pendingCr = true
        return out.subarray(0, length)
      }
      out[length++] = LF
      from = chunk[cr + 1] === LF ? cr + 2 : cr + 1
      cr = chunk.indexOf(CR, from)
    }
    length += chunk.copy(out, length, from)
    return out.subarray(0, length)
  }

  /** What is still held back at the end of the input. */
  finish(): Buffer {
    const rest = this.pendingCr ? Buffer.from([LF]) : Buffer.alloc(0)
    this.pendingCr = false
    return rest
  }
}
