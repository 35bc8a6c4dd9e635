import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { EmbeddedPostgres } from "../src/db/EmbeddedPostgres.js"
import { writeCompaniesCsv, companySite } from "./support/companySites.js"
import { startFakeLlmServer } from "./support/fakeLlmServer.js"
import { startFixtureSites } from "./support/fixtureSites.js"
import { fixtureEnv, repoRoot, waitUntil, withDatabase } from "./support/pipelineHarness.js"
import { freshDatabaseEnv, makeTempDir, testDatabaseKind } from "./support/TestDatabase.js"

const hasPnpm = spawnSync("pnpm", ["--version"], { stdio: "ignore" }).status === 0
const packageJson = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }

/** Pids whose parent is `pid`. */
const childrenOf = (pid: number) =>
  fs.readdirSync("/proc").filter((entry) => {
    try {
      return /^\d+$/.test(entry) && fs.readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === String(pid)
    } catch {
      return false
    }
  }).map(Number)

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * `pnpm pipeline` as a scheduler starts it: the package's own script (it `exec`s node on the built program),
 * in a project directory of its own so that no developer's .env is read, the signal sent to pnpm's pid.
 */
describe.skipIf(!hasPnpm || process.platform !== "linux")(`pnpm pipeline and signals (${testDatabaseKind} database)`, () => {
  it.scopedLive("SIGTERM to the pnpm process ends the run interrupted with 143, SIGINT with 130, and leaves no process", () =>
    Effect.gen(function* () {
      if (!fs.existsSync(path.join(repoRoot, "dist/bin/commonforge.js"))) {
        execFileSync("pnpm", ["-s", "build"], { cwd: repoRoot, stdio: "inherit" })
      }
      const sites = yield* startFixtureSites({ sites: companySite, latencyMs: 5 })
      const llm = yield* startFakeLlmServer({ latencyMs: 400 })
      const project = makeTempDir("pnpm")
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(project, { recursive: true, force: true })))
      const script = packageJson.scripts.pipeline!
      expect(script).toBe("exec dist/bin/commonforge.js pipeline")
      fs.writeFileSync(
        path.join(project, "package.json"),
        JSON.stringify({ name: "signals", private: true, scripts: { pipeline: script.replace("dist/", `${repoRoot}/dist/`) } })
      )
      fs.mkdirSync(path.join(project, "node_modules"))
      const csv = writeCompaniesCsv(path.join(project, "companies.csv"), 40)

      for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
        const db = yield* freshDatabaseEnv
        const start = llm.calls()
        const pnpm = spawn("pnpm", ["pipeline", "--input", csv], {
          cwd: project,
          env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            LOG_FORMAT: "json",
            ...fixtureEnv({ sitesPort: sites.port, llmUrl: llm.url }),
            CONCURRENT_LLM_CALLS: "1",
            ...db
          },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let stderr = ""
        pnpm.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
        pnpm.stdout.resume()
        const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          pnpm.once("close", (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }))
        )
        yield* Effect.promise(() => waitUntil(() => llm.calls() - start >= 2, 60_000))
        const program = childrenOf(pnpm.pid!)
        expect(program.length, "pnpm's child: the node program itself, since the script execs it").toBe(1)
        expect(fs.readFileSync(`/proc/${program[0]}/cmdline`, "utf8")).toMatch(/node\0--max-semi-space-size=8\0.*dist\/bin\/commonforge\.js\0pipeline\0/)

        pnpm.kill(signal)
        const result = yield* Effect.promise(() => closed)
        expect(result.code, stderr).toBe(code)
        expect(stderr).toContain(`received ${signal}`)
        expect(llm.calls() - start).toBeLessThan(40)
        expect(program.filter(isAlive)).toEqual([])
        if (db.EMBEDDED_DATA_DIR) expect((yield* EmbeddedPostgres.status(db.EMBEDDED_DATA_DIR)).running).toBe(false)
        expect(yield* withDatabase(db, (sql) => sql<{ status: string }>`SELECT status FROM runs`)).toEqual([{ status: "interrupted" }])
      }
    }), 300_000)
})
