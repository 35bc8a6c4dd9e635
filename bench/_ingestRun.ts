/**
 * One ingest measurement in this process, for bench/ingest.ts: argv[2] is `parse` or `ingest`, argv[3] the CSV.
 * Prints one JSON line: rows, wall and CPU seconds (start-up excluded) and peak RSS.
 */
import { parse } from "csv-parse"
import * as fs from "node:fs"

const [mode, file] = process.argv.slice(2) as ["parse" | "ingest", string]

/** csv-parse alone, as its documentation streams a file: records counted, nothing else done with them. */
const parseOnly = () =>
  new Promise<number>((resolve, reject) => {
    let records = 0
    const parser = parse({ bom: true })
    parser.on("readable", () => {
      while (parser.read() !== null) records++
    })
    parser.on("error", reject)
    parser.on("end", () => resolve(records - 1))
    fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(parser)
  })

/** Imported only for ingest, so the parse-only process carries none of it, and before the clock starts. */
const prepareIngest = async () => {
  const { Effect, Stream } = await import("effect")
  const { cleanStream } = await import("../src/stages/clean/cleanStream.js")
  const { IngestReport } = await import("../src/stages/clean/IngestReport.js")
  const { loadCsv } = await import("../src/stages/load/loadCsv.js")
  return () => Effect.runPromise(
    Stream.runFold(cleanStream(loadCsv(file, {})), new IngestReport(), (report, outcome) => {
      report.add(outcome)
      return report
    })
  ).then((report) => {
    if (report.accepted + report.rejected + report.duplicates !== report.read) throw new Error("lines unaccounted for")
    return report.read
  })
}

const run = mode === "parse" ? parseOnly : await prepareIngest()
const started = performance.now()
const cpuBefore = process.cpuUsage()
const rows = await run()
const seconds = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpuBefore)
const cpuSeconds = (cpu.user + cpu.system) / 1e6
process.stdout.write(JSON.stringify({ rows, seconds, cpuSeconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\n")
