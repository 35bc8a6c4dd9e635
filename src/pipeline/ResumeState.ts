import { isCompanyFinished, type Pipeline } from "./definePipeline.js"
import type { ItemRecord } from "./RunStore.js"

/** What a run recorded per company, read when it is continued. */
export class ResumeState {
  private readonly byDomain = new Map<string, Partial<Record<string, ItemRecord>>>()

  constructor(
    private readonly pipeline: Pipeline,
    items: ReadonlyArray<ItemRecord> = []
  ) {
    for (const item of items) this.byDomain.set(item.domain, { ...this.byDomain.get(item.domain), [item.stage]: item })
  }

  item(domain: string, stage: string): ItemRecord | undefined {
    return this.byDomain.get(domain)?.[stage]
  }

  /** Finished as the pipeline defines it for this selection of stages. */
  isFinished(domain: string, selected: ReadonlySet<string>, retryFailed: boolean): boolean {
    return isCompanyFinished(this.pipeline, this.byDomain.get(domain), selected, retryFailed)
  }
}
