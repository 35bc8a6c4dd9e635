export const stageNames = ["load", "clean", "scrape", "merge", "enrich", "persist"] as const
export type StageName = (typeof stageNames)[number]

/** The stages that run once per company and are recorded per company in run_items. */
export const companyStages = ["scrape", "enrich", "persist"] as const
export type CompanyStage = (typeof companyStages)[number]

/** The last per-company stage a run records, which marks a company done; undefined when it records none. */
export const lastCompanyStage = (stages: ReadonlySet<string>): CompanyStage | undefined =>
  stages.has("persist") ? "persist" : stages.has("enrich") ? "enrich" : stages.has("scrape") ? "scrape" : undefined

export const parseStageList = (raw: string): ReadonlyArray<StageName> | string => {
  const names = raw.split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "")
  const unknown = names.filter((n) => !(stageNames as ReadonlyArray<string>).includes(n))
  if (unknown.length > 0) return `unknown stage ${unknown.map((u) => `'${u}'`).join(", ")}; stages are ${stageNames.join(", ")}`
  return names as Array<StageName>
}
