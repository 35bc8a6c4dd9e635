import { SqlClient } from "@effect/sql"
import { Deferred, Effect, Fiber, Schedule, Stream } from "effect"
import { ClusterConfig } from "../config/ClusterConfig.js"
import { finalStage, perCompanyStageNames, type Pipeline } from "../pipeline/definePipeline.js"
import { PipelineError } from "../pipeline/PipelineError.js"
import type { PipelineOptions } from "../pipeline/PipelineOptions.js"
import { ResumeState } from "../pipeline/ResumeState.js"
import { type PipelineContext, prepareRun, type PreparedRun } from "../pipeline/runPipeline.js"
import { openRunSession } from "../pipeline/RunSession.js"
import { RunStore } from "../pipeline/RunStore.js"
import type { CleanCompany } from "../schema/CleanCompany.js"
import type { ScoreCompanyWorkflow } from "./ScoreCompanyWorkflow.js"

const SUBMIT_CONCURRENCY = 64
const POLL_INTERVAL = "500 millis"
/** With no company finishing for this long, say whether any runner is alive. */
const STALL_WARNING_MS = 30_000

const outcomeKey = { succeeded: "done", failed: "failed", skipped: "skipped" } as const

/**
 * `pnpm pipeline --distributed`: load and clean here, submit one ScoreCompany workflow per company to the
 * cluster (the runners of `pnpm worker` do the work), follow progress in run_items and finish the run when
 * every company is terminal. A company's execution id is its run, domain and attempt: a resumed submitter
 * re-submits what was unfinished and joins the executions still in flight instead of starting them again.
 */
export const runDistributedPipeline = (
  pipeline: Pipeline,
  workflow: ScoreCompanyWorkflow,
  options: PipelineOptions,
  context: PipelineContext
) =>
  Effect.gen(function* () {
    const prepared = yield* prepareRun(pipeline, options, { distributed: true })
    return yield* submitRun({ ...prepared, workflow, options, context }).pipe(Effect.annotateLogs("run_id", prepared.runId))
  }).pipe(Effect.scoped, Effect.withSpan("pipeline.distributed"))

const submitRun = (
  args: PreparedRun & { readonly workflow: ScoreCompanyWorkflow; readonly options: PipelineOptions; readonly context: PipelineContext }
) =>
  Effect.gen(function* () {
    const { pipeline, workflow, runId, options, stages, context } = args
    const runs = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const cluster = yield* ClusterConfig
    const final = finalStage(pipeline, stages)
    if (final === undefined) {
      const recording = pipeline.companyStages.filter((s) => s.item !== null).map((s) => s.name)
      return yield* new PipelineError({
        reason: "BadArgument",
        message: `--distributed needs one of the stages ${[...recording, ...(pipeline.sink ? [pipeline.sink.name] : [])].join(", ")}: they are what runners record`
      })
    }
    const recordsItem = new Set([...pipeline.companyStages.filter((s) => s.item !== null).map((s) => s.name), ...(pipeline.sink ? [pipeline.sink.name] : [])])
    const items = args.resumed ? yield* runs.items(runId) : []
    const state = new ResumeState(pipeline, items)
    // Each company submitted moves its last-stage attempts from n to n + 1 exactly once (the write pins
    // the number), so the sum over the run counts finished companies whatever order they finish in.
    const baseline = items.reduce((sum, item) => (item.stage === final ? sum + (item.attempts ?? 1) : sum), 0)
    const { counters, companies, finish } = yield* openRunSession({
      ...args,
      mode: context.mode,
      shutdown: context.shutdown,
      progressIntervalMs: context.progressIntervalMs
    })

    let submitted = 0
    let finished = 0
    let lastProgressAt = Date.now()

    const refresh = Effect.gen(function* () {
      const progress = yield* runs.progress(runId, final)
      if (progress.attemptsSum - baseline !== finished) lastProgressAt = Date.now()
      finished = progress.attemptsSum - baseline
      for (const stage of perCompanyStageNames(pipeline)) {
        if (!stages.has(stage)) continue
        const c = counters.get(stage)
        c.done = c.failed = c.skipped = 0
        // A stage that records no item of its own (a pure one) has run once the company has its last stage.
        const source = recordsItem.has(stage) ? stage : final
        for (const row of progress.counts) {
          if (row.stage !== source) continue
          if (source !== stage) c.done += row.count
          else c[outcomeKey[row.status]] += row.count
        }
      }
      if (Date.now() - lastProgressAt > STALL_WARNING_MS && submitted > finished) {
        lastProgressAt = Date.now()
        const alive = yield* sql<{ count: number }>`
          SELECT count(*)::int AS count FROM cluster_runners WHERE healthy AND last_heartbeat > now() - interval '1 minute'`.pipe(
          Effect.map((rows) => rows[0]?.count ?? 0),
          Effect.orElseSucceed(() => 0)
        )
        yield* Effect.logWarning(
          alive === 0
            ? "no runner is alive: start `pnpm worker` (same DATABASE_URL) to process the submitted companies"
            : `no company finished in ${STALL_WARNING_MS / 1000} s with ${alive} runner(s) alive`
        ).pipe(Effect.annotateLogs({ event: "cluster.stalled", runners: alive, unfinished: submitted - finished }))
      }
    })
    // While submitting, progress (and room in the window) comes from a poller; afterwards the wait polls itself.
    const poller = yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(POLL_INTERVAL), Effect.ignoreLogged(refresh))))

    const stopped = Deferred.isDone(context.shutdown)
    const waitForRoom = Effect.gen(function* () {
      while (submitted - finished >= cluster.maxInFlight && !(yield* stopped)) yield* Effect.sleep(POLL_INTERVAL)
    })

    const submit = (company: CleanCompany) =>
      Effect.gen(function* () {
        yield* waitForRoom
        if (yield* stopped) return
        const attempt = (state.item(company.domain, final)?.attempts ?? 0) + 1
        yield* workflow.execute(
          { runId, attempt, stages: [...stages] as never, retryFailed: options.retryFailed, company },
          { discard: true }
        )
        submitted++
      })

    yield* companies.pipe(
      Stream.filter((company) => !state.isFinished(company.domain, stages, options.retryFailed)),
      Stream.mapEffect(submit, { concurrency: SUBMIT_CONCURRENCY, unordered: true }),
      Stream.runDrain
    )
    yield* Fiber.interrupt(poller)
    yield* Effect.logInfo(`submitted ${submitted} companies to the cluster; waiting for the runners`).pipe(
      Effect.annotateLogs({ event: "cluster.submitted", submitted })
    )
    // The runners keep going through a database blip; so does the wait for them.
    const refreshPatiently = refresh.pipe(
      Effect.tapError((error) => Effect.logWarning("could not read the run's progress; retrying", error)),
      Effect.retry(Schedule.exponential("500 millis").pipe(Schedule.jittered, Schedule.either(Schedule.spaced("10 seconds")), Schedule.upTo("5 minutes")))
    )
    while (finished < submitted && !(yield* stopped)) {
      yield* Effect.sleep(POLL_INTERVAL)
      yield* refreshPatiently
    }
    yield* refreshPatiently
    return yield* finish
  }).pipe(Effect.scoped)
