export const stageNames = ["load", "clean", "scrape", "merge", "enrich", "persist"] as const
export type StageName = (typeof stageNames)[number]

/** The stages that run once per company and are recorded per company in run_items. */
export const companyStages = ["scrape", "enrich", "persist"] as const
export type CompanyStage = (typeof companyStages)[number]

export const parseStageList = (raw: string): ReadonlyArray<StageName> | string => {
  const names = raw.split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "")
  const unknown = names.filter((n) => !(stageNames as ReadonlyArray<string>).includes(n))
  if (unknown.length > 0) return `unknown stage ${unknown.map((u) => `'${u}'`).join(", ")}; stages are ${stageNames.join(", ")}`
  return names as Array<StageName>
}
