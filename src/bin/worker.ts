import * as NodeContext from "@effect/platform-node/NodeContext"
import { Cause, Effect, Exit, Layer } from "effect"
import { ClusterConfig } from "../config/ClusterConfig.js"
import { configProviderWithDotEnv } from "../config/DotEnv.js"
import { LlmConfig } from "../config/LlmConfig.js"
import { ScraperConfig } from "../config/ScraperConfig.js"
import { ExitCode } from "../process/ExitCode.js"
import { runProgram } from "../process/runProgram.js"
import { loggerLayer, resolveLogMode } from "../process/Logging.js"
import { PipelineLayer } from "../pipeline/PipelineLayer.js"
import { requireDatabaseServer } from "../cluster/requireDatabaseServer.js"
import { RunnerClusterLayer } from "../cluster/ClusterLayer.js"
import { ScoreCompanyWorkflow } from "../cluster/ScoreCompanyWorkflow.js"
import { makeScoreCompanyWorkflowLive } from "../cluster/ScoreCompanyWorkflowLive.js"
import { Pipeline } from "../pipeline/Pipeline.js"

/**
 * `pnpm worker`: one cluster runner. It owns a share of the shards (rebalanced as runners join and leave),
 * runs the ScoreCompany workflows of those shards and stops cleanly on SIGINT/SIGTERM: its shards move to
 * the other runners, which resume the interrupted workflows from their last finished activity.
 */
const main = Effect.gen(function* () {
  const provider = yield* configProviderWithDotEnv()
  const { mode, level } = yield* resolveLogMode.pipe(Effect.withConfigProvider(provider))
  yield* Effect.gen(function* () {
    // Before any layer: without it, the pipeline's layer would start the embedded database.
    yield* requireDatabaseServer("pnpm worker")
    const cluster = yield* ClusterConfig
    const llm = yield* LlmConfig
    const scraper = yield* ScraperConfig
    const worker = makeScoreCompanyWorkflowLive(Pipeline, ScoreCompanyWorkflow).pipe(Layer.provide(RunnerClusterLayer), Layer.provide(PipelineLayer))
    yield* Effect.logInfo(
      `runner ${cluster.host}:${cluster.port} joining the cluster (${cluster.shards} shards, failover after ${cluster.failoverSeconds} s); ` +
        `per runner: ${llm.concurrency} LLM calls, ${scraper.concurrency} site requests at a time`
    ).pipe(Effect.annotateLogs({ event: "worker.start", host: cluster.host, port: cluster.port }))
    yield* Layer.launch(worker)
  }).pipe(Effect.provide(loggerLayer(mode, level)), Effect.withConfigProvider(provider))
}).pipe(Effect.provide(NodeContext.layer))

// Stopped by a signal is how a runner ends: exit 0.
runProgram(main, { exitCode: (exit) => (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? ExitCode.Ok : undefined) })
