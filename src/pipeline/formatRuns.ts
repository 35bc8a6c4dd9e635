import type { RunRow, StageRow } from "./RunStore.js"
import { inPipelineOrder, type Pipeline } from "./definePipeline.js"

const time = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 19) : "-")
const seconds = (from: Date | null, to: Date | null) => (from && to ? ((to.getTime() - from.getTime()) / 1000).toFixed(1) : "-")

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>) => {
  const cells = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)))
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n")
}

export const formatRunList = (runs: ReadonlyArray<RunRow>) =>
  runs.length === 0
    ? "no runs yet"
    : table(
        ["id", "status", "started", "finished", "seconds", "input"],
        runs.map((r) => [r.id, r.status, time(r.startedAt), time(r.finishedAt), seconds(r.startedAt, r.finishedAt), r.inputPath])
      )

export const formatRunStatus = (
  pipeline: Pipeline,
  run: RunRow,
  stages: ReadonlyArray<StageRow>,
  failures: ReadonlyArray<{ stage: string; errorKind: string; count: number }>,
  tokens: { input: number; output: number }
) => {
  const ordered = inPipelineOrder(pipeline, stages)
  const lines = [
    `run ${run.id}: ${run.status}`,
    `input:    ${run.inputPath} (sha256 ${run.inputSha256.slice(0, 16)}…)`,
    `started:  ${time(run.startedAt)}   finished: ${time(run.finishedAt)}`,
    ...(run.error ? [`error:    ${run.error.split("\n")[0]}`] : []),
    "",
    table(
      ["stage", "status", "total", "done", "failed", "skipped", "rejected", "duplicates", "seconds"],
      ordered.map((s) => [s.stage, s.status, s.total, s.done, s.failed, s.skipped, s.rejected, s.duplicates, seconds(s.startedAt, s.finishedAt)])
    )
  ]
  if (failures.length > 0) {
    lines.push("", table(["failed stage", "error kind", "companies"], failures.map((f) => [f.stage, f.errorKind, f.count])))
  }
  lines.push("", `LLM tokens: ${tokens.input} in, ${tokens.output} out`)
  return lines.join("\n")
}
