import { Activity } from "@effect/workflow"
import { Cause, Effect, Layer, Option, Schedule } from "effect"
import { ClusterConfig } from "../config/ClusterConfig.js"
import { LlmConfig } from "../config/LlmConfig.js"
import { ScraperConfig } from "../config/ScraperConfig.js"
import { makeFairSemaphore } from "../process/FairSemaphore.js"
import { CompanySteps } from "../pipeline/CompanySteps.js"
import { RunStore } from "../pipeline/RunStore.js"
import { lastCompanyStage } from "../pipeline/StageName.js"
import { withLlmIdempotencyKey } from "../stages/enrich/LlmIdempotencyKey.js"
import { EnrichStepResult, ScrapeStepResult } from "./ActivityResults.js"
import { LlmGateLive, makeGatedEnrich } from "./LlmGate.js"
import { ScoreCompanyWorkflow, type ScoreCompanyPayload } from "./ScoreCompanyWorkflow.js"

/** The database may blink (failover, a full pool): a step retries before it gives the company up. */
const databaseRetry = Schedule.exponential("200 millis").pipe(
  Schedule.jittered,
  Schedule.either(Schedule.spaced("10 seconds")),
  Schedule.upTo("2 minutes")
)

/**
 * Runs on `pnpm worker` runners; each external call (site fetches, the LLM, the database write) is an Activity.
 * A runner works on a bounded number of companies at once, twice what its scrape and LLM slots take: enough
 * that neither waits for work, few enough that its shards' companies, all started together, do not scrape
 * far ahead of the LLM while it is still receiving them (measured: a quarter of a 4-runner run lost to that).
 */
export const ScoreCompanyWorkflowLive = Layer.unwrapEffect(
  Effect.gen(function* () {
    const cluster = yield* ClusterConfig
    const scraper = yield* ScraperConfig
    const llm = yield* LlmConfig
    const slots = Option.getOrElse(cluster.runnerCompanies, () => 2 * (scraper.concurrency + llm.concurrency))
    const admission = yield* makeFairSemaphore(slots)
    const gated = yield* makeGatedEnrich
    return ScoreCompanyWorkflow.toLayer((payload) => admission.withPermit(scoreCompany(payload, gated)))
  })
).pipe(Layer.provideMerge(LlmGateLive))

const scoreCompany = (payload: ScoreCompanyPayload, gated: Effect.Effect.Success<typeof makeGatedEnrich>) =>
  Effect.gen(function* () {
    const steps = yield* CompanySteps
    const runs = yield* RunStore
    const { company, runId, attempt } = payload
    const stages = new Set(payload.stages)

    const work = Effect.gen(function* () {
      const { scrape, scraped } = yield* Activity.make({
        name: "scrape",
        success: ScrapeStepResult,
        execute: steps.scrape(company, { stages, retryFailed: payload.retryFailed }).pipe(Effect.retry(databaseRetry), Effect.orDie)
      })
      const enrichment = yield* Activity.make({
        name: "enrich",
        success: EnrichStepResult,
        execute: Effect.flatMap(Activity.idempotencyKey("enrich"), (key) =>
          Option.match(gated, {
            onNone: () => steps.enrich(company, scrape, { stages }).pipe(withLlmIdempotencyKey(key)),
            onSome: (enrich) => enrich({ idempotencyKey: key, stages: payload.stages, company, scrape })
          })
        )
      })
      yield* Activity.make({
        name: "persist",
        execute: steps
          .persist(runId, [{ company, scrape, scraped, enrichment }], { stages, attempt })
          .pipe(Effect.retry(databaseRetry), Effect.orDie)
      })
      return { domain: company.domain, scrape: scrape?.status ?? null, enrichment: enrichment._tag }
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
                  stage: lastCompanyStage(stages) ?? "persist",
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
        }).pipe(Effect.as({ domain: company.domain, scrape: null, enrichment: "WorkflowDefect" }))
      )
    )
  }).pipe(Effect.withSpan("workflow.scoreCompany", { attributes: { domain: payload.company.domain, run_id: payload.runId } }))
