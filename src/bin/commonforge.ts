#!/usr/bin/env -S node --max-semi-space-size=8
import { ExitCode } from "../process/ExitCode.js"

/**
 * `commonforge <program> [args]`: the package's one executable. It imports only the chosen program, which
 * then reads its arguments as if started directly.
 */
const programs: Record<string, { readonly load: () => Promise<unknown>; readonly what: string }> = {
  pipeline: { load: () => import("./pipeline.js"), what: "score the companies of a CSV (runs, status)" },
  serve: { load: () => import("./serve.js"), what: "the query API" },
  worker: { load: () => import("./worker.js"), what: "a cluster runner for pipeline --distributed" },
  extract: { load: () => import("./extract.js"), what: "the scraper's text extraction on local HTML files" },
  db: { load: () => import("./db.js"), what: "the embedded PostgreSQL: status, start, stop" }
}

const usage = () =>
  `usage: commonforge <program> [options]   (commonforge <program> --help for its options)\n\n` +
  Object.entries(programs).map(([name, { what }]) => `  ${name.padEnd(9)} ${what}`).join("\n") + "\n"

const name = process.argv[2]
const program = name === undefined ? undefined : programs[name]
if (program) {
  process.argv.splice(2, 1)
  await program.load()
} else if (name === "--help" || name === "-h") {
  process.stdout.write(usage())
} else {
  process.stderr.write(`${name === undefined ? "no program given" : `unknown program '${name}'`}\n${usage()}`)
  process.exitCode = ExitCode.BadInput
}
