import type { ItemRecord } from "./RunStore.js"
import type { CompanyStage } from "./StageName.js"

/** What a run recorded per company, read when it is continued. */
export class ResumeState {
  private readonly byDomain = new Map<string, Partial<Record<CompanyStage, ItemRecord>>>()

  constructor(items: ReadonlyArray<ItemRecord> = []) {
    for (const item of items) this.byDomain.set(item.domain, { ...this.byDomain.get(item.domain), [item.stage]: item })
  }

  item(domain: string, stage: CompanyStage): ItemRecord | undefined {
    return this.byDomain.get(domain)?.[stage]
  }

  /** Finished: persisted, and nothing upstream is waiting to be tried again. */
  isFinished(domain: string, retryFailed: boolean): boolean {
    const items = this.byDomain.get(domain)
    if (!items || items.persist?.status !== "succeeded") return false
    return (["scrape", "enrich"] as const).every((s) => items[s] === undefined || isSettled(items[s], retryFailed))
  }
}

const isSettled = (item: ItemRecord | undefined, retryFailed: boolean) =>
  item !== undefined && (item.status !== "failed" || (!item.retryable && !retryFailed))
