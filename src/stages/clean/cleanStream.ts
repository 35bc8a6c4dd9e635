import { Chunk, Stream } from "effect"
import type { RawRow } from "../load/RawRow.js"
import { classifyRow } from "./cleanRow.js"
import type { CleanOutcome } from "./CleanOutcome.js"
import { DomainIndex } from "./DomainIndex.js"

export type { CleanOutcome } from "./CleanOutcome.js"

const classify = (row: RawRow, seen: DomainIndex): CleanOutcome => {
  const outcome = classifyRow(row)
  if (outcome._tag === "Rejected") return outcome
  const first = seen.firstLineOrAdd(outcome.company.domain, row.lineNumber)
  if (first === null) return outcome
  return {
    _tag: "Rejected",
    rejection: {
      lineNumber: row.lineNumber,
      raw: row.raw,
      reason: "Duplicate",
      message: `domain ${outcome.company.domain} already appears on line ${first}`,
      duplicateOfLine: first
    }
  }
}

/**
 * Every row accepted or rejected with its reason, in input order; the first accepted line of a domain wins and
 * later ones are rejected as duplicates of it. Memory stays flat: only the compact DomainIndex grows with the input.
 */
export const cleanStream = <E>(rows: Stream.Stream<RawRow, E>): Stream.Stream<CleanOutcome, E> =>
  Stream.suspend(() => {
    const seen = new DomainIndex()
    return Stream.mapChunks(rows, (chunk) => Chunk.map(chunk, (row) => classify(row, seen)))
  })
