import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { spawnWatcher } from "../src/api/watchMode.js"

const waitFor = (read: () => string, text: string, times = 1) =>
  Effect.promise(async () => {
    for (let attempt = 0; attempt < 600; attempt++) {
      if (read().split(text).length - 1 >= times) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`never saw ${times} × "${text}" in:\n${read()}`)
  })

describe("API_RELOAD", () => {
  it.scopedLive("the watched child restarts when a source file it imports changes, and stops on SIGTERM", () =>
    Effect.gen(function* () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cf-watch-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const out = path.join(dir, "out.log")
      fs.writeFileSync(path.join(dir, "greeting.ts"), `export const greeting = "first"\n`)
      fs.writeFileSync(
        path.join(dir, "entry.ts"),
        [
          `import * as fs from "node:fs"`,
          `import { greeting } from "./greeting.ts"`,
          `fs.appendFileSync(${JSON.stringify(out)}, \`started \${greeting} watched=\${process.env.COMMONFORGE_API_WATCHED}\\n\`)`,
          `process.on("SIGTERM", () => { fs.appendFileSync(${JSON.stringify(out)}, "stopping\\n"); process.exit(0) })`,
          `setInterval(() => {}, 1000)`
        ].join("\n")
      )
      const read = () => (fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "")
      const watcher = spawnWatcher(path.join(dir, "entry.ts"), [], { PATH: process.env.PATH ?? "" })
      const exited = new Promise<number | null>((resolve) => watcher.on("exit", (code) => resolve(code)))
      yield* Effect.addFinalizer(() => Effect.sync(() => watcher.exitCode === null && watcher.kill("SIGKILL")))
      yield* waitFor(read, "started first watched=1")
      fs.writeFileSync(path.join(dir, "greeting.ts"), `export const greeting = "second"\n`)
      yield* waitFor(read, "started second watched=1")
      expect(read()).toContain("stopping\nstarted second")
      watcher.kill("SIGTERM")
      yield* Effect.promise(() => exited)
      expect(read().trim().split("\n").at(-1)).toBe("stopping")
    }), 60_000)
})
