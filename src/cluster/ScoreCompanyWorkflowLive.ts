import type { Sharding } from "@effect/cluster"
import type { SqlClient } from "@effect/sql"
import { Activity, type WorkflowEngine } from "@effect/workflow"
import { Cause, type ConfigError, Effect, Layer, Option, Schedule } from "effect"
import { ClusterConfig } from "../config/ClusterConfig.js"
import { commitCompanies } from "../pipeline/commitCompanies.js"
import { CompanyRun } from "../pipeline/CompanyRun.js"
import { finalStage, type Pipeline, type PipelineRequirements } from "../pipeline/definePipeline.js"
import { PipelineSettings } from "../pipeline/PipelineSettings.js"
import { RunStore } from "../pipeline/RunStore.js"
import { makeFairSemaphore } from "../process/FairSemaphore.js"
import { withLlmIdempotencyKey } from "../stages/enrich/LlmIdempotencyKey.js"
import { LlmGateLive, makeGatedStage } from "./LlmGate.js"
import type { ScoreCompanyPayload, ScoreCompanyWorkflow } from "./ScoreCompanyWorkflow.js"

/** The database may blink (failover, a full pool): a step retries before it gives the company up. */
const databaseRetry = Schedule.exponential("200 millis").pipe(
  Schedule.jittered,
  Schedule.either(Schedule.spaced("10 seconds")),
  Schedule.upTo("2 minutes")
)

/**
 * Runs on `pnpm worker` runners: every per-company stage of the declaration with I/O is an Activity (its result
 * stored in its output schema's wire form), pure stages are recomputed on replay, and the sink's write is the
 * last Activity. A runner works on a bounded number of companies at once, twice what its scrape and LLM slots
 * take: enough that neither waits for work, few enough that its shards' companies, all started together, do not
 * scrape far ahead of the LLM while it is still receiving them (measured: a quarter of a 4-runner run lost to that).
 */
export const makeScoreCompanyWorkflowLive = <P extends Pipeline>(
  pipeline: P,
  workflow: ScoreCompanyWorkflow
): Layer.Layer<
  never,
  ConfigError.ConfigError,
  PipelineRequirements<P> | RunStore | SqlClient.SqlClient | WorkflowEngine.WorkflowEngine | Sharding.Sharding
> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const cluster = yield* ClusterConfig
      const settings = yield* PipelineSettings
      const slots = Option.getOrElse(cluster.runnerCompanies, () => 2 * (settings.scraper.concurrency + settings.llm.concurrency))
      const admission = yield* makeFairSemaphore(slots)
      const gated = yield* makeGatedStage
      return workflow.toLayer((payload) => admission.withPermit(scoreCompany(pipeline, payload, settings, gated)))
    })
  ).pipe(Layer.provideMerge(LlmGateLive(pipeline))) as never

const scoreCompany = (
  pipeline: Pipeline,
  payload: ScoreCompanyPayload,
  settings: PipelineSettings,
  gated: Effect.Effect.Success<typeof makeGatedStage>
) =>
  Effect.gen(function* () {
    const runs = yield* RunStore
    const { company, runId, attempt, retryFailed } = payload
    const stages = new Set<string>(payload.stages)

    const work = Effect.gen(function* () {
      let run = new CompanyRun(company)
      const outcomes: Record<string, string> = {}
      for (const stage of pipeline.companyStages) {
        const options = { selected: stages.has(stage.name), retryFailed, settings }
        const output = stage.pure
          ? yield* stage.run(run, options).pipe(Effect.orDie)
          : yield* Activity.make({
              name: stage.name,
              success: stage.output,
              execute: Effect.flatMap(Activity.idempotencyKey(stage.name), (idempotencyKey) =>
                stage.callsLlm && Option.isSome(gated)
                  ? gated.value(stage, run, { idempotencyKey, selected: options.selected, retryFailed })
                  : stage.run(run, options).pipe(withLlmIdempotencyKey(idempotencyKey), Effect.retry(databaseRetry), Effect.orDie)
              )
            })
        run = run.with(stage.name, output)
        const outcome = options.selected ? stage.outcome(output) : null
        if (outcome) outcomes[stage.name] = outcome
      }
      yield* Activity.make({
        name: pipeline.sink?.name ?? "commit",
        execute: commitCompanies(pipeline, runId, [run], stages, attempt).pipe(Effect.retry(databaseRetry), Effect.orDie)
      })
      return { domain: company.domain, outcomes }
    })

    // A company whose steps died still ends terminal (failed, retryable), or the submitter would wait forever.
    return yield* work.pipe(
      Effect.catchAllDefect((defect) =>
        Activity.make({
          name: "record-failure",
          execute: runs
            .recordItems(
              runId,
              [
                {
                  domain: company.domain,
                  // The submitter refuses runs that record no stage.
                  stage: finalStage(pipeline, stages) ?? pipeline.names.at(-1)!,
                  status: "failed",
                  errorKind: "WorkflowDefect",
                  errorMessage: Cause.pretty(Cause.die(defect)).slice(0, 1000),
                  retryable: true,
                  outputHash: null,
                  inputTokens: 0,
                  outputTokens: 0
                }
              ],
              attempt
            )
            .pipe(Effect.retry(databaseRetry), Effect.orDie)
        }).pipe(Effect.as({ domain: company.domain, outcomes: { workflow: "WorkflowDefect" } }))
      )
    )
  }).pipe(Effect.withSpan("workflow.scoreCompany", { attributes: { domain: payload.company.domain, run_id: payload.runId } }))
