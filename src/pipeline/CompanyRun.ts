import type { CleanCompany } from "../schema/CleanCompany.js"

/** One company on its way through the per-company stages: the outputs of the stages it has passed, by name. */
export class CompanyRun {
  constructor(
    readonly company: CleanCompany,
    private readonly outputs: ReadonlyMap<string, unknown> = new Map()
  ) {}

  /** The output of an upstream stage; a stage reading one it does not declare upstream is a bug. */
  get<Out>(stage: { readonly name: string; readonly output: { readonly Type: Out } }): Out {
    if (!this.outputs.has(stage.name)) throw new Error(`stage output '${stage.name}' read before it was produced`)
    return this.outputs.get(stage.name) as Out
  }

  has(name: string): boolean {
    return this.outputs.has(name)
  }

  with(name: string, output: unknown): CompanyRun {
    return new CompanyRun(this.company, new Map(this.outputs).set(name, output))
  }

  entries(): ReadonlyArray<readonly [string, unknown]> {
    return [...this.outputs]
  }
}
