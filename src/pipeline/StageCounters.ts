import type { StageName } from "./StageName.js"

export interface StageCount {
  total: number
  done: number
  failed: number
  skipped: number
  status: "pending" | "running" | "succeeded" | "failed" | "interrupted" | "skipped"
  startedAt: number | null
  finishedAt: number | null
}

/** In-memory counts per stage, shared by the progress display, the run heartbeat and the summary. */
export class StageCounters {
  readonly stages = new Map<StageName, StageCount>()

  constructor(names: ReadonlyArray<StageName>) {
    for (const name of names) {
      this.stages.set(name, { total: 0, done: 0, failed: 0, skipped: 0, status: "pending", startedAt: null, finishedAt: null })
    }
  }

  get(stage: StageName): StageCount {
    return this.stages.get(stage)!
  }

  start(stage: StageName, total: number) {
    const s = this.get(stage)
    s.total = total
    s.status = "running"
    s.startedAt ??= Date.now()
  }

  add(stage: StageName, outcome: "done" | "failed" | "skipped", n = 1) {
    this.get(stage)[outcome] += n
  }

  finish(stage: StageName, status: StageCount["status"]) {
    const s = this.get(stage)
    s.status = status
    s.finishedAt = Date.now()
  }

  snapshot(): Record<string, Omit<StageCount, "startedAt" | "finishedAt"> & { seconds: number | null }> {
    const out: Record<string, Omit<StageCount, "startedAt" | "finishedAt"> & { seconds: number | null }> = {}
    for (const [name, s] of this.stages) {
      out[name] = {
        total: s.total,
        done: s.done,
        failed: s.failed,
        skipped: s.skipped,
        status: s.status,
        seconds: s.startedAt === null ? null : ((s.finishedAt ?? Date.now()) - s.startedAt) / 1000
      }
    }
    return out
  }
}
