/**
 * pnpm bench ingest [--rows 1000000] [--small 100000] [--repeat 3] [--write-rows 10000] [--write-repeat 3] [--embedded] [--write-only]
 *
 * Generates a CSV of company rows shaped like a real export (URL forms, thousands separators, country spellings,
 * NA counts, duplicates, entities, a quoted multi-line value now and then) and measures, each in a fresh child
 * process so peak RSS is its own: csv-parse alone over the big file (the baseline), then load+clean (loadCsv →
 * cleanStream, drained into an IngestReport) over a file of the first `small` rows and over all of them; the three
 * interleaved, `repeat` times. Throughput is rows per CPU second of the child (wall time is printed too).
 * Targets: load+clean ≥ 0.5 × parse-only rows/s; peak RSS < 200 MB; RSS(all rows) ≤ 1.3 × RSS(small).
 * The measured code runs as plain JavaScript; one more load+clean run under tsx is printed for reference.
 *
 * Then (alone with `--write-only`) the writing pass of a `pnpm pipeline --only load,clean` run over a
 * `--write-rows` (10,000) line list that is half duplicates, against the same run's validation pass, in one
 * process (bench/_writePassRun.ts) on a fresh database of the server (DATABASE_URL, default the machine's) or,
 * with `--embedded`, on a fresh embedded database; `--write-repeat` runs, each on its own database, the verdict on
 * their median: target ≤ 2×.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import ts from "typescript"
import { Effect } from "effect"
import { freshDatabase } from "./_benchDatabase.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    small: { type: "string", default: "100000" },
    repeat: { type: "string", default: "3" },
    "write-rows": { type: "string", default: "10000" },
    "write-repeat": { type: "string", default: "3" },
    "write-only": { type: "boolean", default: false },
    embedded: { type: "boolean", default: false },
    help: { type: "boolean", default: false }
  }
})
if (values.help) {
  console.log(fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("*/")[0]!.replace(/^\/\*\*\n| \* ?/gm, ""))
  process.exit(0)
}
const writeRows = Number(values["write-rows"])
const writeRepeat = Math.max(1, Number(values["write-repeat"]))
const TARGET_WRITE_RATIO = 2
const rows = Number(values.rows)
const small = Number(values.small)
const repeat = Math.max(1, Number(values.repeat))
const TARGET_RATIO = 0.5
const TARGET_RSS_MB = 200
const TARGET_GROWTH = 1.3

const countries = ["US", "USA", "United States", "U.S.", "USA; Remote", "Germany", "DE", "United Kingdom", "UK", "France", "Canada", "India", "Atlantis", ""]
const industries = ["SaaS", "Fintech", "Manufacturing", "Health care", "Retail", "Logistics", "Developer tools", ""]
const suffixes = ["com", "io", "co.uk", "de", "net", "ai", "org"]
const words = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Wonka"]

/** Deterministic, so every run measures the same file. */
const row = (i: number): string => {
  const id = i % 50 === 49 ? i - 7 : i // 2% duplicates of an earlier row
  const name = `${words[id % words.length]} ${id.toString(36)}`
  const host = `${words[id % words.length]!.toLowerCase()}-${id.toString(36)}.${suffixes[id % suffixes.length]}`
  const domainForms = [host, `https://www.${host}/about?x=1`, `http://${host.toUpperCase()}:8080/`, `www.${host}.`, host]
  const domain = i % 97 === 13 ? "localhost" : i % 89 === 5 ? "" : domainForms[i % domainForms.length]!
  const n = (i * 7919) % 20000
  const counts = [String(n), n.toLocaleString("en-US"), `${n}.0`, `${(n % 90) + 1}k`, "NA", String(n)]
  const company = i % 31 === 0 ? `"${name} &amp; Sons, Ltd."` : i % 211 === 0 ? `"${name}\nHoldings"` : name
  return `${company},${domain},${countries[i % countries.length]},"${counts[i % counts.length]}",${industries[i % industries.length]}\n`
}

const generate = (file: string, count: number) => {
  const fd = fs.openSync(file, "w")
  let buffer = "company_name,domain,country,employee_count,industry_raw\n"
  for (let i = 0; i < count; i++) {
    buffer += row(i)
    if (buffer.length > 1 << 20) {
      fs.writeSync(fd, buffer)
      buffer = ""
    }
  }
  fs.writeSync(fd, buffer)
  fs.closeSync(fd)
}

/**
 * The measured code as plain JavaScript, as a build would ship it: under tsx every process carries the loader's
 * own thread and transpiled sources (~70 MB of RSS before the first row), which is not the stage's memory.
 */
const compile = (outDir: string): string => {
  const root = path.dirname(here)
  const sources = [
    ...["src/stages/load", "src/stages/clean", "src/schema"].flatMap((dir) =>
      fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, f))
    ),
    "src/config/CleanConfig.ts",
    "src/config/ConfigValue.ts",
    "src/config/packageFile.ts",
    "bench/_ingestRun.ts"
  ]
  for (const source of sources) {
    const output = ts.transpileModule(fs.readFileSync(path.join(root, source), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: source
    })
    const target = path.join(outDir, source.replace(/\.ts$/, ".js"))
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.writeFileSync(target, output.outputText)
  }
  return path.join(outDir, "bench/_ingestRun.js")
}

interface Measurement {
  readonly rows: number
  readonly seconds: number
  readonly cpuSeconds: number
  readonly maxRssMb: number
}

const runOnce = (runner: ReadonlyArray<string>, mode: "parse" | "ingest", file: string): Measurement => {
  const out = execFileSync(process.execPath, [...runner, mode, file], { encoding: "utf8", maxBuffer: 1 << 20 })
  return JSON.parse(out.trim().split("\n").at(-1)!) as Measurement
}

/** Least CPU time of the repeats (throughput), highest peak RSS (memory). */
const combine = (runs: ReadonlyArray<Measurement>): Measurement => ({
  ...runs.reduce((a, b) => (b.cpuSeconds < a.cpuSeconds ? b : a)),
  maxRssMb: Math.max(...runs.map((r) => r.maxRssMb))
})

const verdict = (pass: boolean) => (pass ? "PASS" : "FAIL")

interface WritePass {
  readonly rows: number
  readonly rejectedAndDuplicates: number
  readonly written: number
  readonly coldValidationSeconds: number
  readonly validationSeconds: number
  readonly writeSeconds: number
}

/** One `--only load,clean` run in a child process, on a database of its own. */
const measureWritePass = (file: string, index: number) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const env: Record<string, string> = { ...(process.env as Record<string, string>), LOG_FORMAT: "json" }
        delete env.DATABASE_URL
        // The embedded server runs as the postgres user when this is root: its directory must be reachable.
        if (values.embedded) fs.chmodSync(dir, 0o755), (env.EMBEDDED_DATA_DIR = path.join(dir, `embedded-${index}`, "postgres"))
        else env.DATABASE_URL = yield* freshDatabase
        const out = execFileSync(process.execPath, ["--import", "tsx", path.join(here, "_writePassRun.ts"), file], {
          encoding: "utf8",
          env,
          maxBuffer: 1 << 20,
          stdio: ["ignore", "pipe", "inherit"]
        })
        return JSON.parse(out.trim().split("\n").at(-1)!) as WritePass
      })
    )
  )

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cf-bench-ingest-"))
// Inside the repository so the compiled modules resolve the project's node_modules; bench/.out is git-ignored.
fs.mkdirSync(path.join(here, ".out"), { recursive: true })
const outDir = fs.mkdtempSync(path.join(here, ".out", "ingest-"))

/** csv-parse alone against load+clean over the big and the small file: throughput and memory. */
const measureLoadClean = () => {
  const bigFile = path.join(dir, "companies.csv")
  const smallFile = path.join(dir, "companies-small.csv")
  generate(bigFile, rows)
  generate(smallFile, small)
  console.log(`generated ${rows} rows (${(fs.statSync(bigFile).size / 2 ** 20).toFixed(1)} MiB) and ${small} rows in ${dir}`)

  const compiled = [compile(outDir)]
  const runs = { parse: [] as Array<Measurement>, small: [] as Array<Measurement>, big: [] as Array<Measurement> }
  // Interleaved, so a busy spell on the machine does not land on one side of the ratio only.
  for (let i = 0; i < repeat; i++) {
    runs.parse.push(runOnce(compiled, "parse", bigFile))
    runs.small.push(runOnce(compiled, "ingest", smallFile))
    runs.big.push(runOnce(compiled, "ingest", bigFile))
  }
  const parseOnly = combine(runs.parse)
  const ingestSmall = combine(runs.small)
  const ingestBig = combine(runs.big)
  const underTsx = runOnce(["--import", "tsx", path.join(here, "_ingestRun.ts")], "ingest", bigFile)
  if (parseOnly.rows !== rows || ingestBig.rows !== rows || ingestSmall.rows !== small) {
    throw new Error(`row counts differ: parse ${parseOnly.rows}, ingest ${ingestSmall.rows}/${ingestBig.rows}, expected ${small}/${rows}`)
  }

  // Per CPU second: on a shared machine wall time measures the neighbours as much as the code.
  const rate = (m: Measurement) => m.rows / m.cpuSeconds
  const line = (label: string, m: Measurement) =>
    console.log(
      `${label.padEnd(24)} ${m.rows.toString().padStart(8)} rows  cpu ${m.cpuSeconds.toFixed(2).padStart(5)} s  ` +
        `wall ${m.seconds.toFixed(2).padStart(5)} s  ${Math.round(rate(m)).toString().padStart(8)} rows/cpu-s  ` +
        `(${Math.round(m.rows / m.seconds).toString().padStart(7)} rows/s wall)  peak RSS ${m.maxRssMb.toFixed(1)} MB`
    )
  line("parse only (csv-parse)", parseOnly)
  line("load+clean (small)", ingestSmall)
  line("load+clean", ingestBig)
  line("load+clean under tsx", underTsx)

  const ratio = rate(ingestBig) / rate(parseOnly)
  const peak = Math.max(ingestSmall.maxRssMb, ingestBig.maxRssMb)
  const growth = ingestBig.maxRssMb / ingestSmall.maxRssMb
  console.log("")
  console.log(`throughput ratio load+clean / parse-only (rows per CPU second): ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}) ${verdict(ratio >= TARGET_RATIO)}`)
  console.log(`  (by wall time: ${(ingestBig.rows / ingestBig.seconds / (parseOnly.rows / parseOnly.seconds)).toFixed(2)})`)
  console.log(`peak RSS: ${peak.toFixed(1)} MB (target < ${TARGET_RSS_MB}) ${verdict(peak < TARGET_RSS_MB)}`)
  console.log(`RSS ${rows} / ${small} rows: ${growth.toFixed(2)} (target ≤ ${TARGET_GROWTH}) ${verdict(growth <= TARGET_GROWTH)}`)
}

try {
  if (!values["write-only"]) measureLoadClean()

  // Half duplicates: every second line repeats the company of the line before it.
  const halfFile = path.join(dir, "half-duplicates.csv")
  fs.writeFileSync(
    halfFile,
    "company_name,domain,country,employee_count,industry_raw\n" +
      Array.from({ length: writeRows }, (_, i) => {
        const id = i - (i % 2)
        return `Company ${id},company-${id}.com,US,${10 + (id % 500)},Software\n`
      }).join("")
  )
  const writePasses: Array<WritePass> = []
  for (let i = 0; i < writeRepeat; i++) writePasses.push(await measureWritePass(halfFile, i))
  const target = values.embedded ? "embedded" : "server"
  console.log("")
  for (const pass of writePasses) {
    if (pass.written !== pass.rejectedAndDuplicates) {
      throw new Error(`rejected_rows holds ${pass.written} lines, expected ${pass.rejectedAndDuplicates}`)
    }
    console.log(
      `write pass of ${pass.rows} lines (${pass.written} rejected or duplicate written) on the ${target} database: ` +
        `${pass.writeSeconds.toFixed(3)} s; its validation pass ${pass.validationSeconds.toFixed(3)} s ` +
        `(the process's first, cold: ${pass.coldValidationSeconds.toFixed(3)} s): ${(pass.writeSeconds / pass.validationSeconds).toFixed(2)}`
    )
  }
  const ratios = writePasses.map((p) => p.writeSeconds / p.validationSeconds).sort((a, b) => a - b)
  const median = ratios[Math.floor(ratios.length / 2)]!
  console.log(
    `write pass / validation pass: median ${median.toFixed(2)} of ${ratios.length} (${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)}) ` +
      `(target ≤ ${TARGET_WRITE_RATIO}) ${verdict(median <= TARGET_WRITE_RATIO)}`
  )
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(outDir, { recursive: true, force: true })
}
