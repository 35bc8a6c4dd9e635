import { MultiBar, Presets, type SingleBar } from "cli-progress"
import { Effect, Schedule } from "effect"
import type { StageCounters } from "./StageCounters.js"
import { redirectTerminalLines } from "../process/TerminalSink.js"

import type { ProgressMode } from "../process/Logging.js"
export type { ProgressMode }

const rateAndEta = (done: number, total: number, startedAt: number | null) => {
  const seconds = startedAt === null ? 0 : (Date.now() - startedAt) / 1000
  const rate = seconds > 0 ? done / seconds : 0
  const eta = rate > 0 ? Math.max(0, (total - done) / rate) : null
  return { rate: Math.round(rate * 10) / 10, etaSeconds: eta === null ? null : Math.round(eta) }
}

/**
 * Live bars on a terminal; periodic JSON progress lines (through the logger, so they carry the run id and
 * stage annotations) for schedulers and CI.
 */
export const runProgressDisplay = (options: {
  mode: ProgressMode
  counters: StageCounters
  stages: ReadonlyArray<string>
  intervalMs: number
}) =>
  options.mode === "tty" ? ttyDisplay(options.counters, options.stages) : jsonDisplay(options.counters, options.stages, options.intervalMs)

const ttyDisplay = (counters: StageCounters, stages: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const multibar = new MultiBar(
        {
          clearOnComplete: false,
          hideCursor: true,
          stream: process.stderr,
          format: "{stage} {bar} {value}/{total} | failed {failed} skipped {skipped} | {rate}/s | {etaText}",
          barsize: 24,
          fps: 5
        },
        Presets.shades_classic
      )
      const bars = new Map<string, SingleBar>()
      const update = () => {
        for (const stage of stages) {
          const c = counters.get(stage)
          if (c.status === "pending") continue
          let bar = bars.get(stage)
          const value = c.done + c.failed + c.skipped
          const { rate, etaSeconds } = rateAndEta(value, c.total, c.startedAt)
          const payload = {
            stage: stage.padEnd(7),
            failed: c.failed,
            skipped: c.skipped,
            rate,
            etaText: c.status !== "running" ? c.status : etaSeconds === null ? "ETA -" : `ETA ${etaSeconds}s`
          }
          if (!bar) {
            bar = multibar.create(Math.max(c.total, 1), value, payload)
            bars.set(stage, bar)
          }
          bar.setTotal(Math.max(c.total, 1))
          bar.update(value, payload)
        }
      }
      const timer = setInterval(update, 200)
      redirectTerminalLines((line) => multibar.log(line + "\n"))
      return { multibar, timer, update }
    }),
    ({ multibar, timer, update }) =>
      Effect.sync(() => {
        clearInterval(timer)
        update()
        multibar.stop()
        redirectTerminalLines(undefined)
      })
  )

const jsonDisplay = (counters: StageCounters, stages: ReadonlyArray<string>, intervalMs: number) =>
  Effect.gen(function* () {
    const report = Effect.forEach(
      stages.filter((stage) => counters.get(stage).status === "running"),
      (stage) => {
        const c = counters.get(stage)
        const { rate, etaSeconds } = rateAndEta(c.done + c.failed + c.skipped, c.total, c.startedAt)
        return Effect.logInfo("progress").pipe(
          Effect.annotateLogs({
            stage,
            event: "stage.progress",
            total: c.total,
            done: c.done,
            failed: c.failed,
            skipped: c.skipped,
            rate,
            eta_seconds: etaSeconds
          })
        )
      },
      { discard: true }
    )
    yield* Effect.forkScoped(Effect.repeat(Effect.delay(report, intervalMs), Schedule.forever))
  })
