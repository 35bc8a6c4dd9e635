import * as crypto from "node:crypto"
import * as fs from "node:fs"

/**
 * Vitest global setup: every postgres the suites start (through the code under test) inherits this run's
 * mark in its environment; any still alive when the suites are done was leaked, which fails the run.
 */
const MARK = "COMMONFORGE_TEST_RUN"

const leaked = (mark: string) =>
  fs.readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return []
    try {
      if (!fs.readFileSync(`/proc/${entry}/comm`, "utf8").startsWith("postgres")) return []
      const environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0")
      if (!environ.includes(`${MARK}=${mark}`)) return []
      return [{ pid: Number(entry), cmdline: fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim() }]
    } catch {
      return []
    }
  })

export default function setup() {
  if (process.platform !== "linux") return
  const mark = crypto.randomUUID()
  process.env[MARK] = mark
  return async () => {
    // A server whose last client exited a moment ago may still be shutting down.
    const deadline = Date.now() + 10_000
    let left = leaked(mark)
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      left = leaked(mark)
    }
    if (left.length === 0) return
    for (const { pid } of left) {
      try {
        process.kill(pid, "SIGQUIT")
      } catch {
        // gone meanwhile
      }
    }
    throw new Error(`the test suites left postgres processes running (now killed):\n${left.map((p) => `  ${p.pid} ${p.cmdline}`).join("\n")}`)
  }
}
