import { Effect, Option, Stream } from "effect"
import { Enricher } from "../stages/enrich/Enricher.js"
import { CompanyRun } from "./CompanyRun.js"
import { type Pipeline, readInput } from "./definePipeline.js"
import type { PipelineSettings } from "./PipelineSettings.js"
import { ResumeState } from "./ResumeState.js"
import { RunStore } from "./RunStore.js"

export interface DryRunStagePlan {
  readonly stage: string
  readonly label: string
  readonly todo: number
  readonly cached: number
}

export interface DryRunPlan {
  readonly companies: number
  readonly finished: number
  /** Per stage with a preview, in pipeline order: what it would do and what it would reuse. */
  readonly stages: ReadonlyArray<DryRunStagePlan>
  readonly estimatedInputTokens: number
  readonly estimatedOutputTokens: number
  readonly provider: string
  readonly model: string
}

/**
 * What a run would do, from the caches and the resumed run's progress, without fetching or sending anything:
 * each stage previews its work from the declaration, and "finished" is the same rule resume applies.
 */
export const planDryRun = (args: {
  pipeline: Pipeline
  settings: PipelineSettings
  inputPath: string
  delimiter: string | undefined
  columns?: string | undefined
  limit: number | undefined
  stages: ReadonlySet<string>
  retryFailed: boolean
  resumeRunId: Option.Option<number>
}) =>
  Effect.gen(function* () {
    const { pipeline, stages } = args
    const runs = yield* RunStore
    const enricher = yield* Effect.serviceOption(Enricher)
    const state = new ResumeState(pipeline, Option.isSome(args.resumeRunId) ? yield* runs.items(args.resumeRunId.value) : [])
    const previewed = pipeline.companyStages.filter((s) => s.preview !== null && s.previewLabel !== null && stages.has(s.name))
    const counts = new Map(previewed.map((s) => [s.name, { stage: s.name, label: s.previewLabel!, todo: 0, cached: 0 }]))
    const plan = { companies: 0, finished: 0, estimatedInputTokens: 0, estimatedOutputTokens: 0 }
    const companies = readInput(pipeline, { path: args.inputPath, delimiter: args.delimiter, columns: args.columns, limit: args.limit }).pipe(
      Stream.filterMap((o) => (o._tag === "Accepted" ? Option.some(o.company) : Option.none()))
    )
    yield* Stream.runForEach(companies, (company) =>
      Effect.gen(function* () {
        plan.companies++
        if (state.isFinished(company.domain, stages, args.retryFailed)) {
          plan.finished++
          return
        }
        let run = new CompanyRun(company)
        let upstreamTodo = false
        for (const stage of pipeline.companyStages) {
          const options = { selected: stages.has(stage.name), retryFailed: args.retryFailed, settings: args.settings }
          if (stage.preview === null) {
            if (!stage.pure) continue
            run = run.with(stage.name, yield* stage.run(run, options))
            continue
          }
          const preview = yield* stage.preview(run, options, upstreamTodo)
          run = run.with(stage.name, preview.output)
          const count = counts.get(stage.name)
          if (count && options.selected) count[preview.work === "todo" ? "todo" : "cached"]++
          if (preview.work === "todo") upstreamTodo = true
          if (preview.estimatedTokens) {
            plan.estimatedInputTokens += preview.estimatedTokens.input
            plan.estimatedOutputTokens += preview.estimatedTokens.output
          }
        }
      })
    )
    return {
      ...plan,
      stages: [...counts.values()],
      provider: Option.match(enricher, { onNone: () => "none", onSome: (e) => e.provider }),
      model: Option.match(enricher, { onNone: () => "none", onSome: (e) => e.model })
    } satisfies DryRunPlan
  })
