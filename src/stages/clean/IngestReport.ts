import type { CleanOutcome } from "./CleanOutcome.js"
import type { RejectReason } from "./RejectReason.js"

const EXAMPLES_PER_REASON = 3

export interface RejectionExample {
  readonly lineNumber: number
  readonly message: string
}

/** What load and clean made of the input: every data line read is accepted, rejected or a duplicate. */
export class IngestReport {
  read = 0
  accepted = 0
  /** Rejected for a reason other than being a duplicate. */
  rejected = 0
  duplicates = 0
  /** Accepted rows whose country names no known country (kept raw). */
  unknownCountries = 0
  /** Accepted rows without a head count (MISSING_EMPLOYEE_COUNT=keep): segment Unknown. */
  unknownSizes = 0
  readonly byReason = new Map<RejectReason, number>()
  readonly examples = new Map<RejectReason, Array<RejectionExample>>()
  readonly unknownCountryExamples: Array<RejectionExample> = []

  add(outcome: CleanOutcome): void {
    this.read++
    if (outcome._tag === "Accepted") {
      this.accepted++
      if (outcome.company.employeeCount === null) this.unknownSizes++
      if (outcome.countryUnknown) {
        this.unknownCountries++
        if (this.unknownCountryExamples.length < EXAMPLES_PER_REASON) {
          this.unknownCountryExamples.push({
            lineNumber: outcome.company.lineNumber,
            message: `country ${JSON.stringify(outcome.company.countryRaw)} kept as given`
          })
        }
      }
      return
    }
    const { reason, lineNumber, message } = outcome.rejection
    if (reason === "Duplicate") this.duplicates++
    else this.rejected++
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1)
    let examples = this.examples.get(reason)
    if (examples === undefined) this.examples.set(reason, (examples = []))
    if (examples.length < EXAMPLES_PER_REASON) examples.push({ lineNumber, message })
  }

  /** Counts by reason, most frequent first, each with its first examples and their line numbers. */
  summaryLines(): Array<string> {
    const lines = [
      `${this.read} data lines read: ${this.accepted} accepted, ${this.rejected} rejected, ${this.duplicates} duplicates`
    ]
    const reasons = [...this.byReason.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    for (const [reason, count] of reasons) {
      lines.push(`  ${reason}: ${count}`)
      for (const example of this.examples.get(reason) ?? []) lines.push(`    line ${example.lineNumber}: ${example.message}`)
    }
    if (this.unknownCountries > 0) {
      lines.push(`  unknown country (accepted, kept raw): ${this.unknownCountries}`)
      for (const example of this.unknownCountryExamples) lines.push(`    line ${example.lineNumber}: ${example.message}`)
    }
    if (this.unknownSizes > 0) lines.push(`  employee count unknown (accepted, segment Unknown): ${this.unknownSizes}`)
    return lines
  }
}
