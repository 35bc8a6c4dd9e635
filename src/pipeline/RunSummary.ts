import type { IngestReport } from "../stages/clean/IngestReport.js"
import type { DryRunPlan } from "./planDryRun.js"
import type { StageSnapshot } from "./StageCounters.js"

export type RunSummary =
  | {
      readonly _tag: "Completed"
      readonly runId: number
      readonly status: "succeeded" | "interrupted"
      readonly stages: Record<string, StageSnapshot>
      readonly validation: IngestReport
      /** Companies the sink wrote in this pass; null when the pipeline has none. */
      readonly stored: number | null
      readonly failures: ReadonlyArray<{ stage: string; errorKind: string; count: number }>
      readonly tokens: { input: number; output: number }
      readonly seconds: number
    }
  | { readonly _tag: "DryRun"; readonly validation: IngestReport; readonly plan: DryRunPlan }

export const failureCount = (summary: RunSummary) =>
  summary._tag === "Completed" ? summary.failures.reduce((n, f) => n + f.count, 0) : 0

/** The input's accounting as data: every line read is accepted, rejected or a duplicate. */
const inputDocument = (v: IngestReport) => ({
  lines_read: v.read,
  accepted: v.accepted,
  rejected: v.rejected,
  duplicates: v.duplicates,
  unknown_countries: v.unknownCountries,
  rejections_by_reason: Object.fromEntries([...v.byReason.entries()].sort((a, b) => b[1] - a[1]))
})

/**
 * The whole summary as one JSON document: the `run.finish` log line carries it and `--summary FILE` writes it,
 * so an orchestrator reads what a person reads at the terminal.
 */
export const summaryDocument = (summary: RunSummary) =>
  summary._tag === "DryRun"
    ? { dry_run: true, input: inputDocument(summary.validation), plan: summary.plan }
    : {
        run_id: summary.runId,
        status: summary.status,
        seconds: Math.round(summary.seconds * 1000) / 1000,
        input: inputDocument(summary.validation),
        stored: summary.stored,
        stages: Object.fromEntries(
          Object.entries(summary.stages).map(([name, s]) => [
            name,
            { status: s.status, total: s.total, done: s.done, failed: s.failed, skipped: s.skipped, rejected: s.rejected, duplicates: s.duplicates, seconds: s.seconds }
          ])
        ),
        failures: summary.failures.map((f) => ({ stage: f.stage, error_kind: f.errorKind, count: f.count })),
        tokens: summary.tokens
      }

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
          ...p.stages.flatMap((s) => [
            [`${s.stage} (${s.label})`, s.todo],
            [`${s.stage} reused from cache`, s.cached]
          ]),
          ["estimated input tokens", p.estimatedInputTokens],
          ["estimated output tokens", p.estimatedOutputTokens]
        ]
      ),
      `provider: ${p.provider}, model: ${p.model}`
    ].join("\n")
  }
  const stageRows = Object.entries(summary.stages)
    .filter(([, s]) => s.status !== "pending")
    .map(([name, s]) => [
      name,
      s.status,
      s.total,
      s.done,
      s.failed,
      s.skipped,
      s.rejected + s.duplicates > 0 ? `${s.rejected} + ${s.duplicates} dup.` : "",
      s.seconds === null ? "-" : s.seconds.toFixed(1)
    ])
  const lines = [
    `Run ${summary.runId} ${summary.status} in ${summary.seconds.toFixed(1)}s`,
    "",
    table(["stage", "status", "total", "done", "failed", "skipped", "rejected", "seconds"], stageRows),
    "",
    ...summary.validation.summaryLines()
  ]
  if (summary.failures.length > 0) {
    lines.push("", table(["failed stage", "error kind", "companies"], summary.failures.map((f) => [f.stage, f.errorKind, f.count])))
  }
  lines.push("", `LLM tokens this run: ${summary.tokens.input} in, ${summary.tokens.output} out`)
  return lines.join("\n")
}
