import { Effect, Stream } from "effect"
import type { CompanyRun } from "./CompanyRun.js"
import type { CleanOutcome } from "../stages/clean/CleanOutcome.js"
import type { InputSource } from "./InputSource.js"
import { PipelineSettings } from "./PipelineSettings.js"
import type { ItemRecord } from "./RunStore.js"
import type {
  AnyCompanyStage,
  AnyInputStage,
  AnySinkStage,
  AnyStage,
  StageErrors,
  StageOutcome,
  StagePreview,
  StageRequirements,
  StageRunOptions
} from "./Stage.js"

export interface StageSelection {
  readonly only?: ReadonlyArray<string> | undefined
  readonly from?: string | undefined
}

/**
 * A pipeline: its stages in order, checked once, and everything the executors, resume, `--plan`, `--dry-run`,
 * stage selection and progress derive from them.
 */
export interface Pipeline<R = any, E = any> {
  readonly stages: ReadonlyArray<AnyStage>
  readonly names: ReadonlyArray<string>
  readonly inputs: ReadonlyArray<AnyInputStage>
  readonly companyStages: ReadonlyArray<AnyCompanyStage>
  readonly sink: AnySinkStage | undefined
  /** Phantom: what running every stage needs, and the errors that fail a run. */
  readonly _R?: R
  readonly _E?: E
}

export type PipelineRequirements<P> = P extends Pipeline<infer R, any> ? R : never
export type PipelineErrors<P> = P extends Pipeline<any, infer E> ? E : never

export class PipelineDefinitionError extends Error {}

/**
 * Checks the order and edges once: unique names, input stages first (the first reading the source), then the
 * per-company stages, then at most one sink; every upstream stage declared earlier in the list, so there is no
 * cycle; and the input stages end in clean outcomes. Throws at module load: a bad declaration is a bug.
 */
export const definePipeline = <const S extends ReadonlyArray<AnyStage>>(
  stages: S
): Pipeline<StageRequirements<S[number]>, StageErrors<S[number]>> => {
  const seen = new Set<string>()
  const order = ["input", "company", "sink"] as const
  let phase = 0
  stages.forEach((stage, index) => {
    if (seen.has(stage.name)) throw new PipelineDefinitionError(`stage '${stage.name}' is declared twice`)
    if (!/^[a-z][a-z0-9-]*$/.test(stage.name)) throw new PipelineDefinitionError(`stage name '${stage.name}' is not a lowercase word`)
    const kindIndex = order.indexOf(stage.kind)
    if (kindIndex < phase) throw new PipelineDefinitionError(`${stage.kind} stage '${stage.name}' comes after a ${order[phase]} stage`)
    if (stage.kind === "sink" && index !== stages.length - 1) throw new PipelineDefinitionError(`sink stage '${stage.name}' must be last`)
    phase = kindIndex
    for (const up of stage.upstream) {
      if (!seen.has(up.name)) {
        throw new PipelineDefinitionError(
          stages.some((s) => s.name === up.name)
            ? `stage '${stage.name}' reads '${up.name}', which comes after it (a cycle)`
            : `stage '${stage.name}' reads '${up.name}', which is not in the pipeline`
        )
      }
    }
    if (stage.kind === "input" && index > 0 && !stage.upstream.some((u) => u.name === stages[index - 1]!.name)) {
      throw new PipelineDefinitionError(`input stage '${stage.name}' must read the stage before it`)
    }
    seen.add(stage.name)
  })
  const inputs = stages.filter((s): s is AnyInputStage => s.kind === "input")
  if (inputs.length === 0) throw new PipelineDefinitionError("a pipeline needs an input stage")
  if (inputs.at(-1)!.produces !== "CleanOutcome") {
    throw new PipelineDefinitionError(`the last input stage must produce CleanOutcome, not ${inputs.at(-1)!.produces}`)
  }
  return {
    stages,
    names: stages.map((s) => s.name),
    inputs,
    companyStages: stages.filter((s): s is AnyCompanyStage => s.kind === "company"),
    sink: stages.find((s): s is AnySinkStage => s.kind === "sink")
  }
}

/** `--only a,b` / `--from x` as stage names: the unknown ones named, with the stages there are. */
export const parseStageList = (pipeline: Pipeline, raw: string): ReadonlyArray<string> | string => {
  const names = raw.split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "")
  const unknown = names.filter((n) => !pipeline.names.includes(n))
  if (unknown.length > 0) return `unknown stage ${unknown.map((u) => `'${u}'`).join(", ")}; stages are ${pipeline.names.join(", ")}`
  return names
}

/** The stages a run executes: `--from` then `--only`; the input stages always (they are how companies are known). */
export const selectStages = (pipeline: Pipeline, selection: StageSelection): ReadonlySet<string> => {
  let names: ReadonlyArray<string> = pipeline.names
  if (selection.from) names = names.slice(Math.max(0, names.indexOf(selection.from)))
  if (selection.only) names = names.filter((s) => selection.only!.includes(s))
  const inputs = pipeline.inputs.map((s) => s.name)
  return new Set([...inputs, ...pipeline.names.filter((n) => names.includes(n) && !inputs.includes(n))])
}

/**
 * The per-company stages a run executes, in order: the selected ones and those a stage that runs reads. An
 * unselected stage nothing downstream reads would only cost its I/O (`--only load,clean` reading the scrape
 * cache once per company) for an output that is dropped.
 */
export const runningCompanyStages = (pipeline: Pipeline, selected: ReadonlySet<string>): ReadonlyArray<AnyCompanyStage> => {
  const read = new Set<string>()
  if (pipeline.sink && selected.has(pipeline.sink.name)) for (const up of pipeline.sink.upstream) read.add(up.name)
  const running = new Set<string>()
  for (const stage of [...pipeline.companyStages].reverse()) {
    if (!selected.has(stage.name) && !read.has(stage.name)) continue
    running.add(stage.name)
    for (const up of stage.upstream) read.add(up.name)
  }
  return pipeline.companyStages.filter((s) => running.has(s.name))
}

/** The per-company stages (and the sink) that record a run_items row when selected, in order. */
export const recordingStages = (pipeline: Pipeline, selected: ReadonlySet<string>): ReadonlyArray<string> => [
  ...pipeline.companyStages.filter((s) => s.item !== null && selected.has(s.name)).map((s) => s.name),
  ...(pipeline.sink && selected.has(pipeline.sink.name) ? [pipeline.sink.name] : [])
]

/** The stage whose item marks a company done in a run; undefined when the selection records none. */
export const finalStage = (pipeline: Pipeline, selected: ReadonlySet<string>): string | undefined =>
  recordingStages(pipeline, selected).at(-1)

/** The per-company stages and the sink: what is counted per company. */
export const perCompanyStageNames = (pipeline: Pipeline): ReadonlyArray<string> => [
  ...pipeline.companyStages.map((s) => s.name),
  ...(pipeline.sink ? [pipeline.sink.name] : [])
]

/** Rows about stages in pipeline order (unknown names, from an older declaration, last). */
export const inPipelineOrder = <A extends { readonly stage: string }>(pipeline: Pipeline, rows: ReadonlyArray<A>): Array<A> => {
  const rank = (name: string) => {
    const i = pipeline.names.indexOf(name)
    return i === -1 ? pipeline.names.length : i
  }
  return [...rows].sort((a, b) => rank(a.stage) - rank(b.stage))
}

const isSettled = (item: ItemRecord | undefined, retryFailed: boolean) =>
  item !== undefined && (item.status !== "failed" || (!item.retryable && !retryFailed))

/**
 * What "finished" means for resume, `--dry-run` and the distributed submitter alike: every selected recording
 * stage has a terminal item, and none is a failure this run would try again.
 */
export const isCompanyFinished = (
  pipeline: Pipeline,
  items: Partial<Record<string, ItemRecord>> | undefined,
  selected: ReadonlySet<string>,
  retryFailed: boolean
): boolean => {
  if (!items) return false
  const recording = recordingStages(pipeline, selected)
  return recording.length > 0 && recording.every((stage) => isSettled(items[stage], retryFailed))
}

/**
 * The input stages composed over the source (one element: what to read); `onElement` sees what each yields.
 * With a limit the stages go element by element, so that what they count and record stops exactly at the
 * limit-th accepted company, wherever the parser's chunks end.
 */
export const readInput = <P extends Pipeline>(
  pipeline: P,
  source: InputSource,
  onElement?: (stage: AnyInputStage, outcome: StageOutcome | null) => void
): Stream.Stream<CleanOutcome, PipelineErrors<P>, PipelineRequirements<P>> => {
  const limit = source.limit
  const outcomes = pipeline.inputs.reduce<Stream.Stream<any, any, any>>((stream, stage) => {
    const out = stage.run(stream as Stream.Stream<never>) as Stream.Stream<unknown, any, any>
    const paced = limit === undefined ? out : Stream.rechunk(out, 1)
    return onElement
      ? Stream.mapChunks(paced, (chunk) => {
          for (const element of chunk) onElement(stage, stage.count(element))
          return chunk
        })
      : paced
  }, Stream.make(source)) as Stream.Stream<CleanOutcome, PipelineErrors<P>, PipelineRequirements<P>>
  if (limit === undefined) return outcomes
  return Stream.suspend(() => {
    let accepted = 0
    return Stream.takeUntil(outcomes, (o) => o._tag === "Accepted" && ++accepted >= limit)
  })
}

/** A stage's effect typed by its pipeline: stages are stored untyped, their pipeline knows what they need. */
export const runCompanyStage = <P extends Pipeline>(
  _pipeline: P,
  stage: AnyCompanyStage,
  company: CompanyRun,
  options: StageRunOptions
): Effect.Effect<unknown, PipelineErrors<P>, PipelineRequirements<P>> => stage.run(company, options)

export const previewCompanyStage = <P extends Pipeline>(
  _pipeline: P,
  stage: AnyCompanyStage,
  company: CompanyRun,
  options: StageRunOptions,
  upstreamTodo: boolean
): Effect.Effect<StagePreview<unknown> | null, PipelineErrors<P>, PipelineRequirements<P>> =>
  stage.preview ? stage.preview(company, options, upstreamTodo) : Effect.succeed(null)

export const runSink = <P extends Pipeline>(
  pipeline: P,
  batch: ReadonlyArray<CompanyRun>
): Effect.Effect<void, PipelineErrors<P>, PipelineRequirements<P>> => (pipeline.sink ? pipeline.sink.run(batch) : Effect.void)

/** Every selected stage's preflight check, in pipeline order, before a run writes anything. */
export const runPreflights = <P extends Pipeline>(
  pipeline: P,
  selected: ReadonlySet<string>,
  settings?: PipelineSettings
): Effect.Effect<void, PipelineErrors<P>, PipelineRequirements<P>> =>
  Effect.flatMap(settings === undefined ? Effect.orDie(PipelineSettings) : Effect.succeed(settings), (settings) =>
    Effect.forEach(
      pipeline.stages.filter((s) => s.preflight !== null && selected.has(s.name)),
      (stage) => stage.preflight!(settings),
      { discard: true }
    )
  ) as never
