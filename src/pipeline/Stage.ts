import type { Effect, Schema, Stream } from "effect"
import type { CleanCompany } from "../schema/CleanCompany.js"
import type { CompanyRun } from "./CompanyRun.js"
import type { PipelineSettings } from "./PipelineSettings.js"
import type { ItemDraft } from "./RunStore.js"

/** How a stage counts one element in its progress counters (and run_stages). */
export type StageOutcome = "done" | "failed" | "skipped" | "rejected" | "duplicates"

/** A typed failure a stage reports, with its reasons read off its Schema so that `--plan` cannot lie. */
export interface StageErrorSpec {
  readonly tag: string
  readonly reasons: ReadonlyArray<string>
}

/** How many elements a stage works on at once (read from config); `describe` is what `--plan` prints. */
export interface StageBound {
  readonly concurrency: number
  readonly describe: string
}

export interface StageRunOptions {
  /** Whether `--only`/`--from` selected the stage: an unselected stage still yields its output (e.g. what is stored). */
  readonly selected: boolean
  readonly retryFailed: boolean
  readonly settings: PipelineSettings
}

/** What `--dry-run` learns about one company's stage without doing it. */
export interface StagePreview<Out> {
  /** The output the stage would likely produce (for downstream previews). */
  readonly output: Out
  readonly work: "todo" | "cached"
  readonly estimatedTokens?: { readonly input: number; readonly output: number }
}

interface StageCommon<Name extends string> {
  readonly name: Name
  /** Stages whose output this one reads: the pipeline's edges. */
  readonly upstream: ReadonlyArray<AnyStage>
  /** The name of what it yields, for the plan and for the edge check. */
  readonly produces: string
  readonly does: (settings: PipelineSettings) => string
  readonly bound: (settings: PipelineSettings) => StageBound
  /** Its retry policy in words; the schedule itself is the one the stage's code uses (named beside it). */
  readonly retry: (settings: PipelineSettings) => string
  readonly errors: ReadonlyArray<StageErrorSpec>
  /** Where it records progress, for the plan. */
  readonly records: (settings: PipelineSettings) => string
  /** Checked before a run that selects the stage writes anything (e.g. that the LLM server answers). */
  readonly preflight: ((settings: PipelineSettings) => Effect.Effect<void, any, any>) | null
}

/** A stage over the whole input stream (load, clean): each element is counted as it passes. */
export interface InputStage<Name extends string, In, Out, E, R> extends StageCommon<Name> {
  readonly kind: "input"
  run(input: Stream.Stream<In>): Stream.Stream<Out, E, R>
  count(element: Out): StageOutcome | null
}

/** A stage run once per company; a failure of the company is a value of `Out`, `E` is what fails the run. */
export interface CompanyStage<Name extends string, Out, E, R> extends StageCommon<Name> {
  readonly kind: "company"
  /** How its output crosses a process boundary (a workflow activity's result). */
  readonly output: Schema.Schema<Out, any, never>
  /** No I/O: a distributed run recomputes it on replay instead of storing it as an activity. */
  readonly pure: boolean
  /** Calls an LLM: the distributed executor may send it through the cluster-wide LLM gate. */
  readonly callsLlm: boolean
  run(company: CompanyRun, options: StageRunOptions): Effect.Effect<Out, E, R>
  outcome(output: Out): StageOutcome | null
  /** Its terminal record in run_items (what resume reads); null: the stage records none. */
  readonly item: { bivarianceHack(company: CleanCompany, output: Out): ItemDraft | null }["bivarianceHack"] | null
  /** `upstreamTodo`: an upstream stage would do real work, so its previewed output is a guess. */
  readonly preview:
    | { bivarianceHack(company: CompanyRun, options: StageRunOptions, upstreamTodo: boolean): Effect.Effect<StagePreview<Out>, E, R> }["bivarianceHack"]
    | null
  /** The line `--dry-run` prints for its to-do and cached counts. */
  readonly previewLabel: string | null
}

/** The last stage: writes batches of companies in one transaction together with every stage's items. */
export interface SinkStage<Name extends string, E, R> extends StageCommon<Name> {
  readonly kind: "sink"
  readonly batch: { readonly size: number; readonly windowMs: number }
  run(batch: ReadonlyArray<CompanyRun>): Effect.Effect<void, E, R>
  item(company: CleanCompany): ItemDraft
}

export type AnyStage =
  | InputStage<string, any, any, any, any>
  | CompanyStage<string, any, any, any>
  | SinkStage<string, any, any>

export type AnyCompanyStage = CompanyStage<string, any, any, any>
export type AnyInputStage = InputStage<string, any, any, any, any>
export type AnySinkStage = SinkStage<string, any, any>

export type StageRequirements<S> =
  S extends InputStage<any, any, any, any, infer R>
    ? R
    : S extends CompanyStage<any, any, any, infer R>
      ? R
      : S extends SinkStage<any, any, infer R>
        ? R
        : never

export type StageErrors<S> =
  S extends InputStage<any, any, any, infer E, any>
    ? E
    : S extends CompanyStage<any, any, infer E, any>
      ? E
      : S extends SinkStage<any, infer E, any>
        ? E
        : never

type Defaults = "upstream" | "errors" | "retry" | "records" | "preflight"
type CompanyDefaults = Defaults | "pure" | "callsLlm" | "item" | "preview" | "previewLabel" | "outcome"

/** A typed failure and its reasons, read off its `reason` Schema literals. */
export const errorSpec = (tag: string, reason?: { readonly literals: ReadonlyArray<unknown> }): StageErrorSpec => ({
  tag,
  reasons: reason ? reason.literals.map(String) : []
})

const none = () => "none"

/** The one constructor of pipeline stages: every property a stage has, with defaults for the optional ones. */
export const makeStage: {
  <Name extends string, In, Out, E, R>(
    spec: Omit<InputStage<Name, In, Out, E, R>, Defaults> & Partial<Pick<InputStage<Name, In, Out, E, R>, Defaults>>
  ): InputStage<Name, In, Out, E, R>
  <Name extends string, Out, E, R>(
    spec: Omit<CompanyStage<Name, Out, E, R>, CompanyDefaults> & Partial<Pick<CompanyStage<Name, Out, E, R>, CompanyDefaults>>
  ): CompanyStage<Name, Out, E, R>
  <Name extends string, E, R>(
    spec: Omit<SinkStage<Name, E, R>, Defaults> & Partial<Pick<SinkStage<Name, E, R>, Defaults>>
  ): SinkStage<Name, E, R>
} = (spec: any): any => {
  const common = { upstream: [], errors: [], retry: none, records: () => "-", preflight: null, ...spec }
  return spec.kind === "company"
    ? { pure: false, callsLlm: false, item: null, preview: null, previewLabel: null, outcome: () => "done", ...common }
    : common
}
