import { Entity } from "@effect/cluster"
import { Rpc } from "@effect/rpc"
import { Effect, Layer, Option, Schedule, Schema } from "effect"
import { ClusterConfig } from "../config/ClusterConfig.js"
import type { CompanyRun } from "../pipeline/CompanyRun.js"
import type { Pipeline } from "../pipeline/definePipeline.js"
import { PipelineSettings } from "../pipeline/PipelineSettings.js"
import type { AnyCompanyStage } from "../pipeline/Stage.js"
import { CleanCompany } from "../schema/CleanCompany.js"
import { withLlmIdempotencyKey } from "../stages/enrich/LlmIdempotencyKey.js"
import { decodeCompanyRun, encodeCompanyRun } from "./companyRunWire.js"

/**
 * A cluster-wide bound on LLM calls (CLUSTER_LLM_CONCURRENCY): every runner sends its LLM stages to this one
 * entity, which the cluster places on one runner and which handles at most that many messages at a time.
 * Off by default, when each runner bounds its own calls (CONCURRENT_LLM_CALLS).
 */
export const LlmGate = Entity.make("LlmGate", [
  Rpc.make("RunStage", {
    payload: {
      idempotencyKey: Schema.String,
      stage: Schema.String,
      selected: Schema.Boolean,
      retryFailed: Schema.Boolean,
      company: CleanCompany,
      /** The upstream outputs, each in its stage's wire form. */
      outputs: Schema.Record({ key: Schema.String, value: Schema.Unknown })
    },
    /** The stage's output in its wire form. */
    success: Schema.Unknown
  })
])

const GATE_ID = "llm"

/** The gate entity, registered on every runner (the cluster runs it on the one owning its shard). */
export const LlmGateLive = (pipeline: Pipeline) =>
  Layer.unwrapEffect(
    Effect.map(ClusterConfig, (settings) =>
      Option.match(settings.llmConcurrency, {
        onNone: () => Layer.empty,
        onSome: (concurrency) =>
          LlmGate.toLayer(
            Effect.gen(function* () {
              const pipelineSettings = yield* Effect.orDie(PipelineSettings)
              const context = yield* Effect.context<never>()
              return LlmGate.of({
                RunStage: ({ payload }) =>
                  Effect.gen(function* () {
                    const stage = pipeline.companyStages.find((s) => s.name === payload.stage)
                    if (!stage) return yield* Effect.dieMessage(`the LLM gate has no stage '${payload.stage}'`)
                    const run = yield* decodeCompanyRun(pipeline, payload.company, payload.outputs)
                    const output = yield* stage
                      .run(run, { selected: payload.selected, retryFailed: payload.retryFailed, settings: pipelineSettings })
                      .pipe(withLlmIdempotencyKey(payload.idempotencyKey), Effect.orDie)
                    return yield* Schema.encode(stage.output)(output).pipe(Effect.orDie)
                  }).pipe(Effect.provide(context))
              })
            }),
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

/** How a workflow sends an LLM stage through the gate; none when the gate is off. */
export const makeGatedStage = Effect.gen(function* () {
  const settings = yield* ClusterConfig
  if (Option.isNone(settings.llmConcurrency)) return Option.none()
  const client = (yield* LlmGate.client)(GATE_ID)
  return Option.some(
    <Out>(
      stage: AnyCompanyStage & { readonly output: Schema.Schema<Out, any, never> },
      run: CompanyRun,
      options: { readonly idempotencyKey: string; readonly selected: boolean; readonly retryFailed: boolean }
    ) =>
      Effect.gen(function* () {
        const outputs = yield* encodeCompanyRun(run, stage)
        const encoded = yield* client
          .RunStage({ ...options, stage: stage.name, company: run.company, outputs })
          .pipe(Effect.retry(gateRetry), Effect.orDie)
        return yield* Schema.decodeUnknown(stage.output)(encoded).pipe(Effect.orDie)
      })
  )
})
