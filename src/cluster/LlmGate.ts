import { Entity } from "@effect/cluster"
import { Rpc } from "@effect/rpc"
import { Effect, Layer, Option, Schedule, Schema } from "effect"
import { ClusterConfig } from "../config/ClusterConfig.js"
import { CompanySteps } from "../pipeline/CompanySteps.js"
import { type StageName, stageNames } from "../pipeline/StageName.js"
import { CleanCompany } from "../schema/CleanCompany.js"
import type { ScrapeResult } from "../schema/ScrapeResult.js"
import { withLlmIdempotencyKey } from "../stages/enrich/LlmIdempotencyKey.js"
import { EnrichStepResult, ScrapeStepResult } from "./ActivityResults.js"

/**
 * A cluster-wide bound on LLM calls (CLUSTER_LLM_CONCURRENCY): every runner sends its enrich step to this one
 * entity, which the cluster places on one runner and which handles at most that many messages at a time.
 * Off by default, when each runner bounds its own calls (CONCURRENT_LLM_CALLS).
 */
export const LlmGate = Entity.make("LlmGate", [
  Rpc.make("Enrich", {
    payload: {
      idempotencyKey: Schema.String,
      stages: Schema.Array(Schema.Literal(...stageNames)),
      company: CleanCompany,
      scrape: ScrapeStepResult.fields.scrape
    },
    success: EnrichStepResult
  })
])

const GATE_ID = "llm"

/** The gate entity, registered on every runner (the cluster runs it on the one owning its shard). */
export const LlmGateLive = Layer.unwrapEffect(
  Effect.map(ClusterConfig, (settings) =>
    Option.match(settings.llmConcurrency, {
      onNone: () => Layer.empty,
      onSome: (concurrency) =>
        LlmGate.toLayer(
          Effect.map(CompanySteps, (steps) =>
            LlmGate.of({
              Enrich: ({ payload }) =>
                steps
                  .enrich(payload.company, payload.scrape, { stages: new Set(payload.stages) })
                  .pipe(withLlmIdempotencyKey(payload.idempotencyKey))
            })
          ),
          { concurrency, maxIdleTime: "1 hour" }
        )
    })
  )
)

/** Moving the gate (its runner stopped or died) makes calls fail for a while: they wait and go again. */
const gateRetry = Schedule.exponential("200 millis").pipe(
  Schedule.jittered,
  Schedule.either(Schedule.spaced("5 seconds")),
  Schedule.upTo("10 minutes")
)

/** How a workflow sends its enrich step through the gate; none when the gate is off. */
export const makeGatedEnrich = Effect.gen(function* () {
  const settings = yield* ClusterConfig
  if (Option.isNone(settings.llmConcurrency)) return Option.none()
  const client = (yield* LlmGate.client)(GATE_ID)
  return Option.some(
    (payload: {
      readonly idempotencyKey: string
      readonly stages: ReadonlyArray<StageName>
      readonly company: CleanCompany
      readonly scrape: ScrapeResult | null
    }) => client.Enrich(payload).pipe(Effect.retry(gateRetry), Effect.orDie)
  )
})
