import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigError, Option } from "effect"
import { DatabaseError } from "../src/db/DatabaseError.js"
import { ExitCode, exitCodeForCause, exitCodeForError } from "../src/process/ExitCode.js"
import { PipelineError } from "../src/pipeline/PipelineError.js"
import { defaultPipelineOptions } from "../src/pipeline/PipelineOptions.js"
import { Effect } from "effect"
import { definePipeline, isCompanyFinished, parseStageList, runningCompanyStages, selectStages } from "../src/pipeline/definePipeline.js"
import { clean, enrich, load, merge, persist, Pipeline, scrape } from "../src/pipeline/Pipeline.js"
import { formatPlan } from "../src/pipeline/PipelinePlan.js"
import type { ItemRecord } from "../src/pipeline/RunStore.js"
import { makeStage } from "../src/pipeline/Stage.js"
import { Schema } from "effect"
import { LoadError } from "../src/stages/load/LoadError.js"

describe("exit codes", () => {
  it("maps every error kind to its documented code", () => {
    expect(exitCodeForError(ConfigError.InvalidData(["API_PORT"], "expected an integer"))).toBe(ExitCode.BadInput)
    expect(exitCodeForError(new LoadError({ reason: "MissingColumns", message: "m", path: "x.csv" }))).toBe(2)
    expect(exitCodeForError(new PipelineError({ reason: "InputChanged", message: "m" }))).toBe(2)
    expect(exitCodeForError(new PipelineError({ reason: "LockHeld", message: "m" }))).toBe(3)
    expect(exitCodeForError(new DatabaseError({ reason: "LegacyData", message: "m" }))).toBe(2)
    expect(exitCodeForError(new DatabaseError({ reason: "Unavailable", message: "m" }))).toBe(1)
    expect(exitCodeForCause(Cause.interrupt("fiber" as never))).toBe(130)
    expect(exitCodeForCause(Cause.die(new Error("boom")))).toBe(1)
  })
})

const selectedStages = (options: { only?: ReadonlyArray<string>; from?: string }) => selectStages(Pipeline, options)

describe("stage selection", () => {
  it("always keeps load and clean, and applies --from then --only", () => {
    expect([...selectedStages({ ...defaultPipelineOptions, from: "enrich" })]).toEqual(["load", "clean", "enrich", "persist"])
    expect([...selectedStages({ ...defaultPipelineOptions, only: ["scrape"] })]).toEqual(["load", "clean", "scrape"])
    expect([...selectedStages({ ...defaultPipelineOptions, from: "merge", only: ["scrape", "enrich"] })]).toEqual([
      "load",
      "clean",
      "enrich"
    ])
  })

  it("runs the selected per-company stages and those they read, and none that nothing selected reads", () => {
    const running = (options: { only?: ReadonlyArray<string>; from?: string }) =>
      runningCompanyStages(Pipeline, selectedStages(options)).map((s) => s.name)
    expect(running({ only: ["load", "clean"] })).toEqual([])
    expect(running({ only: ["scrape"] })).toEqual(["scrape"])
    expect(running({ only: ["enrich"] })).toEqual(["scrape", "merge", "enrich"])
    expect(running({ only: ["persist"] })).toEqual(["scrape", "merge", "enrich"])
    expect(running({ from: "enrich" })).toEqual(["scrape", "merge", "enrich"])
    expect(running({})).toEqual(["scrape", "merge", "enrich"])
  })

  it("parses stage lists and names unknown stages", () => {
    expect(parseStageList(Pipeline, " Scrape, enrich ")).toEqual(["scrape", "enrich"])
    expect(parseStageList(Pipeline, "scrape,fetch")).toBe("unknown stage 'fetch'; stages are load, clean, scrape, merge, enrich, persist")
  })
})

const settings = {
  scraper: { concurrency: 7, maxRetries: 2, maxAgeDays: 7 } as never,
  llm: { concurrency: 5, maxRetries: 4, requestsPerMinute: Option.some(120) } as never,
  provider: "openai"
}

describe("the plan", () => {
  it("prints every stage in order with the concurrency, retries and error reasons in effect", () => {
    const text = formatPlan(Pipeline, settings)
    expect(text).toContain("load → clean → scrape → merge → enrich → persist")
    expect(text).toContain("7 global, 1 per host")
    expect(text).toContain("max 2 retries")
    expect(text).toContain("5, 120/min")
    expect(text).toContain("max 4")
    // Read off the error schemas, not written out by hand.
    expect(text).toMatch(/enrich[\s\S]*errors:[^\n]*Timeout \| RateLimited \| ServerError/)
    expect(text).toMatch(/load[\s\S]*errors:[^\n]*MissingColumns/)
    expect(text).toMatch(/enrich \(per company\)[\s\S]*reads:\s+merge \(EnrichmentInput\)/)
  })
})

const item = (stage: string, status: ItemRecord["status"], retryable = false): ItemRecord => ({
  domain: "a.com",
  stage,
  status,
  errorKind: status === "failed" ? "Timeout" : null,
  errorMessage: null,
  retryable,
  outputHash: null,
  inputTokens: 0,
  outputTokens: 0,
  attempts: 1
})

describe("what finished means", () => {
  const all = selectStages(Pipeline, {})
  it("is every selected recording stage settled, the same rule for resume, --dry-run and the submitter", () => {
    const done = { scrape: item("scrape", "succeeded"), enrich: item("enrich", "succeeded"), persist: item("persist", "succeeded") }
    expect(isCompanyFinished(Pipeline, done, all, false)).toBe(true)
    // Persisted, but the enrichment failed retryably: the run will try it again, so it is not finished.
    const retryable = { ...done, enrich: item("enrich", "failed", true) }
    expect(isCompanyFinished(Pipeline, retryable, all, false)).toBe(false)
    const permanent = { ...done, enrich: item("enrich", "failed", false) }
    expect(isCompanyFinished(Pipeline, permanent, all, false)).toBe(true)
    expect(isCompanyFinished(Pipeline, permanent, all, true)).toBe(false)
    expect(isCompanyFinished(Pipeline, { scrape: item("scrape", "succeeded") }, all, false)).toBe(false)
    expect(isCompanyFinished(Pipeline, { scrape: item("scrape", "succeeded") }, selectStages(Pipeline, { only: ["scrape"] }), false)).toBe(true)
  })
})

describe("the declaration is checked once", () => {
  const toy = (name: string, upstream: ReadonlyArray<typeof merge | typeof enrich>) =>
    makeStage({
      kind: "company",
      name,
      upstream,
      produces: "Shout",
      output: Schema.String,
      pure: true,
      does: () => "shout",
      bound: () => ({ concurrency: 1, describe: "1" }),
      run: (c) => Effect.succeed(c.company.companyName.toUpperCase())
    })

  it("refuses duplicates, a stage reading one that comes after it, a stage outside the pipeline and a misplaced sink", () => {
    expect(() => definePipeline([load, clean, scrape, scrape])).toThrow(/declared twice/)
    expect(() => definePipeline([load, clean, scrape, toy("shout", [enrich]), merge, enrich, persist])).toThrow(/comes after it \(a cycle\)/)
    expect(() => definePipeline([load, clean, toy("shout", [merge])])).toThrow(/not in the pipeline/)
    expect(() => definePipeline([load, clean, scrape, merge, enrich, persist, toy("shout", [merge])])).toThrow(/sink stage .persist. must be last/)
    expect(() => definePipeline([load])).toThrow(/must produce CleanOutcome/)
    expect(definePipeline([load, clean, scrape, merge, toy("shout", [merge]), enrich, persist]).names).toEqual([
      "load", "clean", "scrape", "merge", "shout", "enrich", "persist"
    ])
  })
})
