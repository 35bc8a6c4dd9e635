import { Effect, type Layer } from "effect"
import type { ExecutorErrors } from "../pipeline/runPipeline.js"
import type { RunSummary } from "../pipeline/RunSummary.js"
import type { Pipeline } from "../pipeline/definePipeline.js"
import type { PipelineOptions } from "../pipeline/PipelineOptions.js"
import type { PipelineContext } from "../pipeline/runPipeline.js"
import { runDistributedPipeline } from "./runDistributedPipeline.js"
import { makeScoreCompanyWorkflow } from "./ScoreCompanyWorkflow.js"
import { SubmitterLayer } from "./SubmitterLayer.js"

/** `pnpm pipeline --distributed`, with its cluster client layer: what the CLI loads only when asked for it. */
export const submitDistributed = <P extends Pipeline>(
  pipeline: P,
  options: PipelineOptions,
  context: PipelineContext
): Effect.Effect<RunSummary, ExecutorErrors<P> | Layer.Layer.Error<typeof SubmitterLayer>> =>
  // The submitter runs no company stage (the runners do): its layer holds all it needs.
  runDistributedPipeline(pipeline, makeScoreCompanyWorkflow(pipeline), options, context).pipe(Effect.provide(SubmitterLayer)) as never
