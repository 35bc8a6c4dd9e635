import type { Pipeline } from "./definePipeline.js"
import type { PipelineSettings } from "./PipelineSettings.js"

/** `--plan`: printed from the declaration itself, with the settings in effect, so it cannot drift from what runs. */
export const formatPlan = (pipeline: Pipeline, settings: PipelineSettings) => {
  const lines = [pipeline.names.join(" → "), ""]
  for (const stage of pipeline.stages) {
    const errors = stage.errors.map((e) => (e.reasons.length > 0 ? `${e.tag}: ${e.reasons.join(" | ")}` : e.tag))
    lines.push(`${stage.name} (${stage.kind === "input" ? "over the input stream" : stage.kind === "company" ? "per company" : "per batch of companies"})`)
    lines.push(`  does:        ${stage.does(settings)}`)
    lines.push(`  reads:       ${stage.upstream.length === 0 ? "the input file" : stage.upstream.map((u) => `${u.name} (${u.produces})`).join(", ")}`)
    lines.push(`  produces:    ${stage.produces}`)
    lines.push(`  concurrency: ${stage.bound(settings).describe}`)
    lines.push(`  retry:       ${stage.retry(settings)}`)
    lines.push(`  errors:      ${errors.length === 0 ? "none" : errors.join("; ")}`)
    lines.push(`  progress:    ${stage.records(settings)}`)
  }
  const perCompany = [...pipeline.companyStages.map((s) => s.name), ...(pipeline.sink ? [pipeline.sink.name] : [])]
  lines.push("", `${perCompany.join(" → ")} stream per company, each stage with its own bound.`)
  return lines.join("\n")
}
