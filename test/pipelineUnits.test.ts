import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigError, Option } from "effect"
import { DatabaseError } from "../src/db/DatabaseError.js"
import { ExitCode, exitCodeForCause, exitCodeForError } from "../src/process/ExitCode.js"
import { PipelineError } from "../src/pipeline/PipelineError.js"
import { defaultPipelineOptions } from "../src/pipeline/PipelineOptions.js"
import { formatPlan, pipelinePlan } from "../src/pipeline/PipelinePlan.js"
import { selectedStages } from "../src/pipeline/runPipeline.js"
import { parseStageList } from "../src/pipeline/StageName.js"
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

  it("parses stage lists and names unknown stages", () => {
    expect(parseStageList(" Scrape, enrich ")).toEqual(["scrape", "enrich"])
    expect(parseStageList("scrape,fetch")).toBe("unknown stage 'fetch'; stages are load, clean, scrape, merge, enrich, persist")
  })
})

describe("the plan", () => {
  it("prints every stage in order with the concurrency and retries in effect", () => {
    const plan = pipelinePlan({
      scraper: { concurrency: 7, maxRetries: 2, maxAgeDays: 7 } as never,
      llm: { concurrency: 5, maxRetries: 4, requestsPerMinute: Option.some(120) } as never,
      provider: "openai"
    })
    expect(plan.map((s) => s.name)).toEqual(["load", "clean", "scrape", "merge", "enrich", "persist"])
    const text = formatPlan(plan)
    expect(text).toContain("load → clean → scrape → merge → enrich → persist")
    expect(text).toContain("7 global, 1 per host")
    expect(text).toContain("max 2 retries")
    expect(text).toContain("5, 120/min")
    expect(text).toContain("max 4")
  })
})
