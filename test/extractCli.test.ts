import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as zlib from "node:zlib"

const repoRoot = fileURLToPath(new URL("..", import.meta.url))
const cli = path.join(repoRoot, "src/bin/extract.ts")

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", cli, ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  })

const page = `<html><head><title>Acme</title></head><body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<main><h1>Acme Robotics</h1><p>${"Acme builds autonomous picking robots for warehouses. ".repeat(10)}</p></main></body></html>`

const files = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "extract-cli-"))
  const plain = path.join(dir, "page.html")
  const gzipped = path.join(dir, "page.html.gz")
  fs.writeFileSync(plain, page)
  fs.writeFileSync(gzipped, zlib.gzipSync(Buffer.from(page)))
  return { dir, plain, gzipped }
}

const parseLines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { file: string; title: string; text: string })

describe("pnpm extract", () => {
  it("prints one JSON line per plain or gzipped file, uncapped with --max-length 0", async () => {
    const { plain, gzipped } = files()
    const { code, stdout } = await run(["--max-length", "0", plain, gzipped])
    expect(code).toBe(0)
    const results = parseLines(stdout)
    expect(results.map((r) => r.file)).toEqual([plain, gzipped])
    for (const result of results) {
      expect(result.title).toBe("Acme")
      expect(result.text.startsWith("Acme Robotics\nAcme builds autonomous picking robots")).toBe(true)
      expect(result.text).not.toContain("About")
      expect(result.text.length).toBeGreaterThan(500)
    }
  })

  it("caps the text at --max-length on a word boundary, by default at MAX_WEBSITE_TEXT_LENGTH", async () => {
    const { plain } = files()
    const capped = parseLines((await run(["--max-length", "40", plain])).stdout)[0]!
    expect(capped.text).toBe("Acme Robotics\nAcme builds autonomous")
    const fromEnv = parseLines((await run([plain], { MAX_WEBSITE_TEXT_LENGTH: "25" })).stdout)[0]!
    expect(fromEnv.text).toBe("Acme Robotics\nAcme builds")
  })

  it("reports files it cannot read and exits 2, after printing the others", async () => {
    const { dir, plain } = files()
    const corrupt = path.join(dir, "corrupt.html.gz")
    fs.writeFileSync(corrupt, Buffer.from([0x1f, 0x8b, 1, 2, 3]))
    const missing = path.join(dir, "missing.html")
    const { code, stdout, stderr } = await run([missing, plain, corrupt])
    expect(code).toBe(2)
    expect(parseLines(stdout).map((r) => r.file)).toEqual([plain])
    expect(stderr).toContain(`cannot read ${missing}: no such file`)
    expect(stderr).toContain(`cannot read ${corrupt}: not valid gzip`)
  })

  it("exits 2 on a bad --max-length", async () => {
    const { plain } = files()
    const { code, stderr } = await run(["--max-length", "-3", plain])
    expect(code).toBe(2)
    expect(stderr).toContain("--max-length")
  })
})
