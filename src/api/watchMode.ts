import { spawn, type ChildProcess } from "node:child_process"
import { createRequire } from "node:module"
import * as path from "node:path"

/** Set in the child so that it serves instead of starting another watcher. */
export const WATCHED_CHILD_ENV = "COMMONFORGE_API_WATCHED"

export const isWatchedChild = () => process.env[WATCHED_CHILD_ENV] === "1"

/**
 * `tsx watch` on `entry`: it runs the entry and restarts it (SIGTERM, so the server shuts down gracefully
 * and the embedded database is closed cleanly) whenever one of the files it imports changes. The watcher
 * gets its own process group: a Ctrl-C in the terminal then reaches only us, and we relay it once — were
 * the watcher to get it twice it would SIGKILL the server. No stdin: a background group reading the
 * terminal would be stopped.
 */
export const spawnWatcher = (entry: string, args: ReadonlyArray<string> = [], env: NodeJS.ProcessEnv = process.env): ChildProcess => {
  const require = createRequire(import.meta.url)
  const packageFile = require.resolve("tsx/package.json")
  const { bin } = require(packageFile) as { bin: string | Record<string, string> }
  const cli = path.join(path.dirname(packageFile), typeof bin === "string" ? bin : bin.tsx!)
  return spawn(process.execPath, [cli, "watch", "--clear-screen=false", entry, ...args], {
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
    env: { ...env, [WATCHED_CHILD_ENV]: "1" }
  })
}

/** API_RELOAD: serves from a watched child process; resolves with the watcher's exit code. */
export const runUnderWatcher = (entry: string): Promise<number> => {
  const child = spawnWatcher(entry, process.argv.slice(2))
  let relayed = false
  const relay = (signal: NodeJS.Signals) => () => {
    if (relayed) return
    relayed = true
    child.kill(signal)
  }
  process.on("SIGINT", relay("SIGINT"))
  process.on("SIGTERM", relay("SIGTERM"))
  process.on("exit", () => {
    if (child.exitCode === null) child.kill("SIGTERM")
  })
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal === "SIGTERM" ? 143 : 130))))
}
