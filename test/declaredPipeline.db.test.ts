import { ClusterWorkflowEngine, SingleRunner } from "@effect/cluster"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Redacted, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { runDistributedPipeline } from "../src/cluster/runDistributedPipeline.js"
import { makeScoreCompanyWorkflow } from "../src/cluster/ScoreCompanyWorkflow.js"
import { makeScoreCompanyWorkflowLive } from "../src/cluster/ScoreCompanyWorkflowLive.js"
import { DatabaseLive } from "../src/db/Database.js"
import { definePipeline } from "../src/pipeline/definePipeline.js"
import { clean, load } from "../src/pipeline/Pipeline.js"
import { defaultPipelineOptions, type PipelineOptions } from "../src/pipeline/PipelineOptions.js"
import { runPipeline } from "../src/pipeline/runPipeline.js"
import { RunStore } from "../src/pipeline/RunStore.js"
import { makeStage } from "../src/pipeline/Stage.js"
import { RejectedRowsStore } from "../src/stages/clean/RejectedRowsStore.js"
import { configFrom, freshDatabaseEnv, makeTempDir, testDatabaseKind } from "./support/TestDatabase.js"

/**
 * A pipeline declared here, not in src: the real load and clean, then a toy per-company stage that upper-cases
 * the company name (recording it as its item), and a sink that records which companies it wrote. No executor
 * code knows these stages; both executors run them from the declaration.
 */
const makeToyPipeline = (hooks: { readonly onShout: (domain: string) => Effect.Effect<void> }) => {
  const calls = { shout: [] as Array<string>, store: [] as Array<string> }
  const shout = makeStage({
    kind: "company",
    name: "shout",
    upstream: [clean],
    produces: "ShoutedName",
    output: Schema.Struct({ name: Schema.String, at: Schema.Date }),
    does: () => "upper-case the company name",
    bound: () => ({ concurrency: 4, describe: "4" }),
    run: (company) =>
      Effect.gen(function* () {
        calls.shout.push(company.company.domain)
        yield* hooks.onShout(company.company.domain)
        return { name: company.company.companyName.toUpperCase(), at: new Date("2026-01-01T00:00:00Z") }
      }),
    item: (company, output) => ({
      domain: company.domain,
      stage: "shout",
      status: "succeeded",
      errorKind: null,
      errorMessage: null,
      retryable: false,
      // The Date proves the output crossed a process boundary in its schema's wire form and came back.
      outputHash: `${output.name}@${output.at.toISOString()}`,
      inputTokens: 0,
      outputTokens: 0
    })
  })
  const store = makeStage({
    kind: "sink",
    name: "store",
    upstream: [shout],
    produces: "nothing",
    does: () => "remember what was written",
    bound: () => ({ concurrency: 1, describe: "1" }),
    batch: { size: 5, windowMs: 20 },
    run: (batch) => Effect.sync(() => void calls.store.push(...batch.map((c) => c.get(shout).name))),
    item: (company) => ({
      domain: company.domain,
      stage: "store",
      status: "succeeded",
      errorKind: null,
      errorMessage: null,
      retryable: false,
      outputHash: null,
      inputTokens: 0,
      outputTokens: 0
    })
  })
  return { pipeline: definePipeline([load, clean, shout, store]), calls }
}

/** More than the submitter sends at once (its 64 concurrent submissions), so an interruption leaves some unsubmitted. */
const COMPANIES = 150

const writeInput = () => {
  const dir = makeTempDir("toy")
  const file = path.join(dir, "companies.csv")
  const lines = Array.from({ length: COMPANIES }, (_, i) => `Company ${i},toy-${String(i).padStart(3, "0")}.com,DE,${10 + i},Software`)
  fs.writeFileSync(file, ["company_name,domain,country,employee_count,industry_raw", ...lines].join("\n") + "\n")
  return { dir, file }
}

const shoutItems = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<{ domain: string; outputHash: string; attempts: number }>`
    SELECT domain, output_hash AS "outputHash", attempts FROM run_items WHERE stage = 'shout' ORDER BY domain`
})

describe(`a pipeline with an extra declared stage (${testDatabaseKind} database)`, () => {
  it.scopedLive(
    "runs on the local executor, and a resumed run after an interruption redoes no finished company",
    () =>
      Effect.gen(function* () {
        const env = yield* freshDatabaseEnv
        const { file } = writeInput()
        const shutdown = yield* Deferred.make<void>()
        let seen = 0
        const toy = makeToyPipeline({
          // Ask the run to stop once a third of the companies have gone through the stage.
          onShout: () => (++seen === COMPANIES / 3 ? Deferred.succeed(shutdown, undefined).pipe(Effect.asVoid) : Effect.void)
        })
        const layer = Layer.mergeAll(RunStore.Default, RejectedRowsStore.Default).pipe(
          Layer.provideMerge(DatabaseLive),
          Layer.provide(configFrom(env))
        )
        const run = (options: Partial<PipelineOptions>, stop: Deferred.Deferred<void>) =>
          runPipeline(toy.pipeline, { ...defaultPipelineOptions, input: file, ...options }, { mode: "json", shutdown: stop })

        const first = yield* run({}, shutdown).pipe(Effect.provide(layer))
        expect(first._tag === "Completed" && first.status).toBe("interrupted")
        const stored = [...toy.calls.store]
        expect(stored.length).toBeGreaterThan(0)
        expect(stored.length).toBeLessThan(COMPANIES)
        const shoutedFirst = [...toy.calls.shout]

        const second = yield* run({ resume: true }, yield* Deferred.make<void>()).pipe(Effect.provide(layer))
        expect(second._tag === "Completed" && second.status).toBe("succeeded")
        const items = yield* shoutItems.pipe(Effect.provide(layer))
        expect(items).toHaveLength(COMPANIES)
        expect(items[0]).toEqual({ domain: "toy-000.com", outputHash: "COMPANY 0@2026-01-01T00:00:00.000Z", attempts: 1 })
        // Every company was written exactly once, and a company written by the first pass was not run again.
        expect(new Set(toy.calls.store).size).toBe(COMPANIES)
        expect(toy.calls.store).toHaveLength(COMPANIES)
        const secondPass = toy.calls.shout.slice(shoutedFirst.length)
        for (const name of stored) expect(secondPass.map((d) => `COMPANY ${Number(d.slice(4, 7))}`)).not.toContain(name)
        expect(second._tag === "Completed" && second.stages.shout!.skipped).toBe(stored.length)
      }),
    120_000
  )

  it.scopedLive.skipIf(testDatabaseKind === "embedded")(
    "runs on the cluster executor (SingleRunner, SQL storage; server database only, as distributed mode is): one activity per declared stage, resumed after an interruption",
    () =>
      Effect.gen(function* () {
        const env = yield* freshDatabaseEnv
        const { file } = writeInput()
        let stopAfter: (() => Effect.Effect<void>) | undefined
        let seen = 0
        const toy = makeToyPipeline({ onShout: () => (++seen === COMPANIES / 3 && stopAfter ? stopAfter() : Effect.void) })
        const workflow = makeScoreCompanyWorkflow(toy.pipeline)
        const database = DatabaseLive.pipe(Layer.provide(configFrom({ ...env, CLUSTER_MAX_IN_FLIGHT: "4" })))
        const cluster = makeScoreCompanyWorkflowLive(toy.pipeline, workflow).pipe(
          Layer.provideMerge(ClusterWorkflowEngine.layer),
          Layer.provideMerge(
            SingleRunner.layer({ runnerStorage: "memory" }).pipe(Layer.provide(PgClient.layer({ url: Redacted.make(env.DATABASE_URL!) })))
          ),
          Layer.provideMerge(Layer.mergeAll(RunStore.Default, RejectedRowsStore.Default)),
          Layer.provideMerge(database),
          Layer.provide(configFrom({ ...env, CLUSTER_MAX_IN_FLIGHT: "4" }))
        )
        yield* Effect.gen(function* () {
          const shutdown = yield* Deferred.make<void>()
          stopAfter = () => Deferred.succeed(shutdown, undefined).pipe(Effect.asVoid)
          const options = { ...defaultPipelineOptions, input: file }
          const first = yield* runDistributedPipeline(toy.pipeline, workflow, options, { mode: "json", shutdown })
          expect(first._tag === "Completed" && first.status).toBe("interrupted")
          // Stopped with at most the in-flight window submitted: the rest is left for the resumed submitter.
          expect(first._tag === "Completed" && first.stages.store!.done).toBeLessThan(COMPANIES)
          stopAfter = undefined
          const second = yield* runDistributedPipeline(toy.pipeline, workflow, { ...options, resume: true }, {
            mode: "json",
            shutdown: yield* Deferred.make<void>()
          })
          expect(second._tag === "Completed" && second.status).toBe("succeeded")
          const items = yield* shoutItems
          expect(items).toHaveLength(COMPANIES)
          expect(items[0]).toEqual({ domain: "toy-000.com", outputHash: "COMPANY 0@2026-01-01T00:00:00.000Z", attempts: 1 })
          // A workflow's finished activity is never run again: each company was shouted and stored once.
          expect(toy.calls.shout).toHaveLength(COMPANIES)
          expect(new Set(toy.calls.store).size).toBe(COMPANIES)
          expect(toy.calls.store).toHaveLength(COMPANIES)
          // The submitter reads its window from config as the program would: set here, not only for the layers.
        }).pipe(Effect.provide(cluster), Effect.provide(configFrom({ ...env, CLUSTER_MAX_IN_FLIGHT: "4" })))
      }),
    120_000
  )
})
