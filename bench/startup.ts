/**
 * pnpm bench startup [--against DIR] [--repeat 7] [--runs 3]
 *
 * What a newcomer meets first, on the built programs (dist/, as `pnpm install` leaves them):
 * - `--help` of the pipeline: the median wall time of the package's `pipeline` script (what `pnpm pipeline` runs,
 *   node flags included) with `--help`, beside bare node's start (`node -e 0`) and, through pnpm,
 *   `pnpm -s pipeline --help` beside a pnpm script that only starts node.
 *   Target: the program's `--help` under 1 s.
 * - The quick start: `pipeline` on data/companies.csv with a fresh embedded data directory (the first run
 *   initialises it), then again on the same directory. The node process and every postgres process of its data
 *   directory are sampled every 20 ms from /proc: peak of the summed RSS, and of the summed PSS (RSS with each
 *   shared page divided among the processes sharing it, the honest sum for postgres' shared memory).
 *   Target: ≤ 250 MB together, on either count.
 *
 * `--against DIR`: the same measurements, in the same run, on another checkout (the previous commit, built with
 * `pnpm install`), printed as the baseline of each ratio.
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    against: { type: "string" },
    repeat: { type: "string", default: "7" },
    runs: { type: "string", default: "3" }
  }
})
const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const repeat = Number(values.repeat)
const runs = Number(values.runs)
const HELP_TARGET_S = 1
const MEMORY_TARGET_MB = 250

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const wallOf = (command: string, args: ReadonlyArray<string>, cwd: string): number => {
  const start = performance.now()
  const result = spawnSync(command, args, { cwd, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } })
  const ms = performance.now() - start
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr}`)
  return ms / 1000
}

const medianWall = (command: string, args: ReadonlyArray<string>, cwd: string) => {
  wallOf(command, args, cwd)
  return median(Array.from({ length: repeat }, () => wallOf(command, args, cwd)))
}

/** The package's `pipeline` script, the command `pnpm pipeline` runs in `root`. */
const pipelineScript = (root: string): string => JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts.pipeline

/** The script run by the shell as pnpm runs it (without pnpm), with `args`. */
const scriptCommand = (root: string, args: ReadonlyArray<string>) => ["sh", ["-c", `${pipelineScript(root)} "$@"`, "sh", ...args]] as const

/** A project of its own whose scripts run `root`'s pipeline as the package's script does, and node alone. */
const pnpmProject = (root: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cf-startup-pnpm-"))
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "startup", private: true, scripts: { pipeline: pipelineScript(root).replace("dist/", `${root}/dist/`), node: "exec node -e 0" } })
  )
  fs.mkdirSync(path.join(dir, "node_modules"))
  return dir
}

const help = (root: string) => {
  const project = pnpmProject(root)
  try {
    return {
      node: medianWall("node", ["-e", "0"], root),
      program: medianWall(...scriptCommand(root, ["--help"]), root),
      pnpmNode: medianWall("pnpm", ["-s", "node"], project),
      pnpmProgram: medianWall("pnpm", ["-s", "pipeline", "--help"], project)
    }
  } finally {
    fs.rmSync(project, { recursive: true, force: true })
  }
}

/** RSS and PSS of one process in kB, from smaps_rollup; zero once it is gone. */
const memoryOf = (pid: number): { rss: number; pss: number } => {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8")
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0)
    return { rss: field("Rss"), pss: field("Pss") }
  } catch {
    return { rss: 0, pss: 0 }
  }
}

const childrenOf = (pid: number): ReadonlyArray<number> => {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

const postmasterOf = (dataDir: string): number | undefined => {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0])
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

interface QuickStart {
  readonly seconds: number
  readonly rssMb: number
  readonly pssMb: number
  readonly nodeRssMb: number
  readonly postgresPssMb: number
  readonly exit: number | null
}

/** One quick-start run of `root`'s pipeline on its sample data, `dataDir` the embedded database's directory. */
const quickStart = (root: string, dataDir: string): Promise<QuickStart> =>
  new Promise((resolve, reject) => {
    const start = performance.now()
    const [command, args] = scriptCommand(root, ["--input", "data/companies.csv"])
    // The script execs node, so the shell's pid becomes the program's.
    const child = spawn(command, args, {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, EMBEDDED_DATA_DIR: dataDir, LOG_FORMAT: "json", DATABASE_URL: "", OPENAI_API_KEY: "" }
    })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    let peak = { rss: 0, pss: 0, nodeRss: 0, postgresPss: 0 }
    const sample = () => {
      const node = child.pid === undefined ? { rss: 0, pss: 0 } : memoryOf(child.pid)
      const postmaster = postmasterOf(dataDir)
      const postgres = postmaster === undefined ? [] : [postmaster, ...childrenOf(postmaster)]
      const pg = postgres.map(memoryOf).reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }), { rss: 0, pss: 0 })
      peak = {
        rss: Math.max(peak.rss, node.rss + pg.rss),
        pss: Math.max(peak.pss, node.pss + pg.pss),
        nodeRss: Math.max(peak.nodeRss, node.rss),
        postgresPss: Math.max(peak.postgresPss, pg.pss)
      }
    }
    const timer = setInterval(sample, 20)
    child.on("error", reject)
    child.on("exit", (code) => {
      clearInterval(timer)
      if (code !== 0) return reject(new Error(`quick start exited ${code}: ${stderr.slice(-2000)}`))
      resolve({
        seconds: (performance.now() - start) / 1000,
        rssMb: peak.rss / 1024,
        pssMb: peak.pss / 1024,
        nodeRssMb: peak.nodeRss / 1024,
        postgresPssMb: peak.postgresPss / 1024,
        exit: code
      })
    })
  })

const quickStarts = async (root: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cf-startup-db-"))
  // Run as root, the embedded server runs as the postgres user, who must reach its data directory.
  fs.chmodSync(dir, 0o755)
  const results: Array<QuickStart & { first: boolean }> = []
  try {
    for (let i = 0; i < runs; i++) results.push({ ...(await quickStart(root, path.join(dir, "postgres"))), first: i === 0 })
  } finally {
    spawnSync("node", ["dist/bin/db.js", "stop"], { cwd: root, env: { ...process.env, EMBEDDED_DATA_DIR: path.join(dir, "postgres") }, stdio: "ignore" })
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return results
}

const s = (x: number) => `${x.toFixed(2)} s`
const mb = (x: number) => `${x.toFixed(0)} MB`
const ratio = (x: number, base: number | undefined) => (base === undefined ? "" : `  (${(x / base).toFixed(2)}× the baseline's)`)

const measure = async (root: string) => ({ help: help(root), quick: await quickStarts(root) })

const roots = [{ label: "this checkout", root: here }, ...(values.against ? [{ label: `baseline ${values.against}`, root: path.resolve(values.against) }] : [])]
for (const { root } of roots) {
  if (!fs.existsSync(path.join(root, "dist/bin/pipeline.js"))) throw new Error(`${root}/dist/bin/pipeline.js is missing: run pnpm install (or pnpm build) there`)
}
// Interleaved so that the machine's load falls on both alike.
const measured = []
for (const { label, root } of roots) measured.push({ label, ...(await measure(root)) })
const [current, baseline] = measured

for (const m of measured) {
  console.log(`\n${m.label}`)
  console.log(`  --help: ${s(m.help.program)} (node -e 0 ${s(m.help.node)}: ${(m.help.program / m.help.node).toFixed(1)}× bare node's start)`)
  console.log(`  pnpm -s pipeline --help: ${s(m.help.pnpmProgram)} (a pnpm script running node -e 0: ${s(m.help.pnpmNode)})`)
  for (const q of m.quick) {
    console.log(
      `  quick start${q.first ? " (initdb)" : ""}: ${s(q.seconds)}, peak RSS ${mb(q.rssMb)} (node ${mb(q.nodeRssMb)}), peak PSS ${mb(q.pssMb)} (postgres ${mb(q.postgresPssMb)})`
    )
  }
}

const warm = (m: typeof current) => m!.quick.filter((q) => !q.first)
const peakPss = (m: typeof current) => Math.max(...m!.quick.map((q) => q.pssMb))
const peakRss = (m: typeof current) => Math.max(...m!.quick.map((q) => q.rssMb))
const warmWall = (m: typeof current) => median(warm(m).map((q) => q.seconds))
console.log("\nsummary")
console.log(`  --help ${s(current!.help.program)} (target < ${HELP_TARGET_S} s)${ratio(current!.help.program, baseline?.help.program)}`)
console.log(`  quick start peak PSS ${mb(peakPss(current))} (target ≤ ${MEMORY_TARGET_MB} MB: ${(peakPss(current) / MEMORY_TARGET_MB).toFixed(2)}×)${ratio(peakPss(current), baseline && peakPss(baseline))}`)
console.log(`  quick start peak RSS sum ${mb(peakRss(current))} (target ≤ ${MEMORY_TARGET_MB} MB: ${(peakRss(current) / MEMORY_TARGET_MB).toFixed(2)}×)${ratio(peakRss(current), baseline && peakRss(baseline))}`)
if (warm(current).length > 0) console.log(`  quick start wall (warm) ${s(warmWall(current))}${ratio(warmWall(current), baseline && warm(baseline).length > 0 ? warmWall(baseline) : undefined)}`)
