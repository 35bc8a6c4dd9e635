import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { startProgram } from "./support/pipelineHarness.js"
import { makeTempDir } from "./support/TestDatabase.js"

const commonforge = (args: ReadonlyArray<string>, env: Record<string, string>, cwd: string) =>
  Effect.promise(() => startProgram("src/bin/commonforge.ts", args, env, cwd).done)

describe("the commonforge executable", () => {
  it.scopedLive("runs the program named first with the rest of the arguments; an unknown one exits 2 with the list", () =>
    Effect.gen(function* () {
      const cwd = makeTempDir("bin")
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(cwd, { recursive: true, force: true })))
      const dataDir = path.join(cwd, "data")
      const status = yield* commonforge(["db", "status"], { EMBEDDED_DATA_DIR: dataDir }, cwd)
      expect(status.code, status.stderr).toBe(0)
      expect(status.stdout).toContain(`stopped; data in ${dataDir}`)

      const unknown = yield* commonforge(["nope"], {}, cwd)
      expect(unknown.code).toBe(2)
      expect(unknown.stderr).toContain("unknown program 'nope'")
      for (const program of ["pipeline", "serve", "worker", "extract", "db"]) expect(unknown.stderr).toContain(`  ${program} `)

      const help = yield* commonforge(["pipeline", "--help"], {}, cwd)
      expect(help.code).toBe(0)
      expect(help.stdout).toContain("CommonForge Lead Scoring pipeline")
    }), 60_000)
})
