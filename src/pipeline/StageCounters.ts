import type { StageOutcome } from "./Stage.js"

export interface StageCount {
  total: number
  done: number
  failed: number
  skipped: number
  /** Input lines turned away (clean only), and those repeating an earlier line's company. */
  rejected: number
  duplicates: number
  status: "pending" | "running" | "succeeded" | "failed" | "interrupted" | "skipped"
  startedAt: number | null
  finishedAt: number | null
}

export type StageSnapshot = Omit<StageCount, "startedAt" | "finishedAt"> & { seconds: number | null }

/** In-memory counts per stage, shared by the progress display, the run heartbeat and the summary. */
export class StageCounters {
  readonly stages = new Map<string, StageCount>()

  constructor(names: ReadonlyArray<string>) {
    for (const name of names) {
      this.stages.set(name, {
        total: 0,
        done: 0,
        failed: 0,
        skipped: 0,
        rejected: 0,
        duplicates: 0,
        status: "pending",
        startedAt: null,
        finishedAt: null
      })
    }
  }

  get(stage: string): StageCount {
    return this.stages.get(stage)!
  }

  start(stage: string, total: number) {
    const s = this.get(stage)
    s.total = total
    s.status = "running"
    s.startedAt ??= Date.now()
  }

  add(stage: string, outcome: StageOutcome, n = 1) {
    this.get(stage)[outcome] += n
  }

  finish(stage: string, status: StageCount["status"]) {
    const s = this.get(stage)
    s.status = status
    s.finishedAt = Date.now()
  }

  snapshot(): Record<string, StageSnapshot> {
    const out: Record<string, StageSnapshot> = {}
    for (const [name, s] of this.stages) {
      out[name] = {
        total: s.total,
        done: s.done,
        failed: s.failed,
        skipped: s.skipped,
        rejected: s.rejected,
        duplicates: s.duplicates,
        status: s.status,
        seconds: s.startedAt === null ? null : ((s.finishedAt ?? Date.now()) - s.startedAt) / 1000
      }
    }
    return out
  }
}
