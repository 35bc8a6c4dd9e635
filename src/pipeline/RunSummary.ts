import type { IngestReport } from "../stages/clean/IngestReport.js"
import type { DryRunPlan } from "./planDryRun.js"
import type { StageCounters } from "./StageCounters.js"

export type RunSummary =
  | {
      readonly _tag: "Completed"
      readonly runId: number
      readonly status: "succeeded" | "interrupted"
      readonly stages: ReturnType<StageCounters["snapshot"]>
      readonly validation: IngestReport
      readonly failures: ReadonlyArray<{ stage: string; errorKind: string; count: number }>
      readonly tokens: { input: number; output: number }
      readonly seconds: number
    }
  | { readonly _tag: "DryRun"; readonly validation: IngestReport; readonly plan: DryRunPlan }

export const failureCount = (summary: RunSummary) =>
  summary._tag === "Completed" ? summary.failures.reduce((n, f) => n + f.count, 0) : 0

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>) => {
  const cells = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)))
  const line = (r: ReadonlyArray<string>) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n")
}

/** What a person reads at the end of a run. */
export const formatSummary = (summary: RunSummary): string => {
  if (summary._tag === "DryRun") {
    const p = summary.plan
    return [
      "Dry run: nothing was fetched, sent or written.",
      ...summary.validation.summaryLines(),
      "",
      table(
        ["would", "count"],
        [
          ["companies in scope", p.companies],
          ["already finished (resume)", p.finished],
          ["scrape (fetch websites)", p.toScrape],
          ["scrape reused from cache", p.scrapeCached],
          ["enrich (LLM calls)", p.toEnrich],
          ["enrich reused from cache", p.enrichCached],
          ["estimated input tokens", p.estimatedInputTokens],
          ["estimated output tokens", p.estimatedOutputTokens]
        ]
      ),
      `provider: ${p.provider}, model: ${p.model}`
    ].join("\n")
  }
  const stageRows = Object.entries(summary.stages)
    .filter(([, s]) => s.status !== "pending")
    .map(([name, s]) => [name, s.status, s.total, s.done, s.failed, s.skipped, s.seconds === null ? "-" : s.seconds.toFixed(1)])
  const lines = [
    `Run ${summary.runId} ${summary.status} in ${summary.seconds.toFixed(1)}s`,
    "",
    table(["stage", "status", "total", "done", "failed", "skipped", "seconds"], stageRows),
    "",
    ...summary.validation.summaryLines()
  ]
  if (summary.failures.length > 0) {
    lines.push("", table(["failed stage", "error kind", "companies"], summary.failures.map((f) => [f.stage, f.errorKind, f.count])))
  }
  lines.push("", `LLM tokens this run: ${summary.tokens.input} in, ${summary.tokens.output} out`)
  return lines.join("\n")
}
