import { Chunk, type ConfigError, Effect, Stream } from "effect"
import { CleanConfig, type CleanSettings } from "../../config/CleanConfig.js"
import type { RawRow } from "../load/RawRow.js"
import { classifyRow } from "./cleanRow.js"
import type { CleanOutcome } from "./CleanOutcome.js"
import { DomainIndex } from "./DomainIndex.js"

export type { CleanOutcome } from "./CleanOutcome.js"

const classify = (row: RawRow, seen: DomainIndex, settings: CleanSettings): CleanOutcome => {
  const outcome = classifyRow(row, settings)
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
 * Settings default to CleanConfig (MISSING_EMPLOYEE_COUNT).
 */
export const cleanStream = <E>(
  rows: Stream.Stream<RawRow, E>,
  settings?: CleanSettings
): Stream.Stream<CleanOutcome, E | ConfigError.ConfigError> =>
  Stream.unwrap(
    Effect.map(settings === undefined ? CleanConfig : Effect.succeed(settings), (resolved) =>
      Stream.suspend(() => {
        const seen = new DomainIndex()
        return Stream.mapChunks(rows, (chunk) => Chunk.map(chunk, (row) => classify(row, seen, resolved)))
      })
    )
  )
