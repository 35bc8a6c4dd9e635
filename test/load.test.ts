import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Stream } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseColumnMapping } from "../src/stages/load/ColumnMapping.js"
import { detectDelimiter } from "../src/stages/load/detectDelimiter.js"
import { LineEndings } from "../src/stages/load/LineEndings.js"
import { loadCsv } from "../src/stages/load/loadCsv.js"
import type { LoadError } from "../src/stages/load/LoadError.js"
import { normalizeHeader } from "../src/stages/load/normalizeHeader.js"
import type { RawRow } from "../src/stages/load/RawRow.js"
import { sha256File } from "../src/stages/load/sha256File.js"

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "csv")
const fixture = (name: string) => path.join(fixtures, name)

const rows = (file: string, options: { delimiter?: string } = {}) =>
  Stream.runCollect(loadCsv(file, options)).pipe(Effect.map(Chunk.toArray))

const failure = (file: string, options: { delimiter?: string } = {}) =>
  Effect.flip(rows(file, options)) as Effect.Effect<LoadError>

const summary = (row: RawRow) => ({ line: row.lineNumber, ...row.values })

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "cf-load-"))

const HEADER = "company_name,domain,country,employee_count,industry_raw"

/** A tiny deterministic PRNG so generated files are the same on every run. */
const prng = (seed: number) => () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0
  return ((seed ^ (seed >>> 12)) >>> 0) / 2 ** 32
}

describe("loadCsv", () => {
  it.effect("reads rows with the line each starts on and the record as given", () =>
    Effect.gen(function* () {
      const result = yield* rows(fixture("basic.csv"))
      expect(result.map(summary)).toEqual([
        { line: 2, company_name: "Acme Inc", domain: "acme.com", country: "US", employee_count: "120", industry_raw: "Manufacturing" },
        { line: 3, company_name: "Globex", domain: "globex.io", country: "Germany", employee_count: "45", industry_raw: "SaaS" }
      ])
      expect(result[0]!.raw).toEqual({
        company_name: "Acme Inc",
        domain: "acme.com",
        country: "US",
        employee_count: "120",
        industry_raw: "Manufacturing"
      })
    }))

  it.effect("strips a UTF-8 BOM and reads CRLF line endings", () =>
    Effect.gen(function* () {
      const result = yield* rows(fixture("bom-crlf.csv"))
      expect(result.map(summary)).toEqual([
        { line: 2, company_name: "Acme Inc", domain: "acme.com", country: "US", employee_count: "120", industry_raw: "Manufacturing" },
        { line: 3, company_name: "Globex", domain: "globex.io", country: "Germany", employee_count: "45", industry_raw: "SaaS" }
      ])
      expect(Object.keys(result[0]!.raw)[0]).toBe("company_name")
    }))

  it.effect("reads quoted fields holding delimiters, quotes and line breaks, numbering records by their first line", () =>
    Effect.gen(function* () {
      const result = yield* rows(fixture("quoted.csv"))
      expect(result.map(summary)).toEqual([
        { line: 2, company_name: "Acme, Inc.", domain: "acme.com", country: "US", employee_count: "1,200", industry_raw: "Manufacturing, heavy" },
        { line: 3, company_name: 'The "Best" Co', domain: "best.co", country: "US", employee_count: "10", industry_raw: 'Says "hi"' },
        { line: 4, company_name: "Multi\nLine Corp", domain: "multiline.com", country: "US", employee_count: "5", industry_raw: "first line\nsecond line" },
        { line: 7, company_name: "After", domain: "after.com", country: "US", employee_count: "7", industry_raw: "Retail" },
        // A quote inside an unquoted value is taken as text.
        { line: 8, company_name: 'Say "hi" Co', domain: "sayhi.com", country: "US", employee_count: "3", industry_raw: "Retail" }
      ])
    }))

  it.effect("reads a file mixing LF, CRLF and CR line endings line by line", () =>
    Effect.gen(function* () {
      const result = yield* rows(fixture("mixed-line-endings.csv"))
      expect(result.map((r) => [r.lineNumber, r.values.company_name, r.values.industry_raw])).toEqual([
        [2, "Acme Inc", "Manufacturing"],
        [3, "Globex", "SaaS"],
        [5, "Initech", "Software"]
      ])
    }))

  it.effect("refuses a delimiter that cannot separate fields", () =>
    Effect.gen(function* () {
      const error = yield* failure(fixture("basic.csv"), { delimiter: '"' })
      expect(error.reason).toBe("MalformedCsv")
      expect(error.message).toContain("delimiter")
    }))

  it.effect("skips blank and whitespace-only lines and trims the whitespace around values", () =>
    Effect.gen(function* () {
      const result = yield* rows(fixture("blank-lines.csv"))
      expect(result.map((r) => [r.lineNumber, r.values.company_name, r.values.domain, r.values.country, r.values.employee_count, r.values.industry_raw])).toEqual([
        [3, "Acme Inc", "acme.com", "US", "120", "Manufacturing"],
        [6, "Globex", "globex.io", "Germany", "45", "SaaS"],
        [9, "Initech", "initech.com", "US", "30", "Software"]
      ])
    }))

  it.effect("matches header names in any case or spacing, takes known aliases and ignores extra columns", () =>
    Effect.gen(function* () {
      const [first] = yield* rows(fixture("messy-headers.csv"))
      expect(first!.values).toEqual({
        company_name: "Acme Inc",
        domain: "acme.com",
        country: "US",
        employee_count: "120",
        industry_raw: "Manufacturing"
      })
      // Extra columns reach no value, but the raw record keeps the file's own names for the rejection report.
      expect(first!.raw).toEqual({
        "Company Name": "Acme Inc",
        DOMAIN: "acme.com",
        Country: "US",
        "Employee Count": "120",
        Industry: "Manufacturing",
        Notes: "call back",
        Owner: "alice"
      })
    }))

  it.effect("detects `;` and tab delimiters, and takes an explicit one", () =>
    Effect.gen(function* () {
      const semicolon = yield* rows(fixture("semicolon.csv"))
      expect(semicolon.map((r) => [r.values.company_name, r.values.employee_count])).toEqual([
        ["Acme, Inc.", "1,200"],
        ["Globex; GmbH", "45"]
      ])
      const tab = yield* rows(fixture("tab.tsv"))
      expect(tab.map((r) => [r.values.company_name, r.values.industry_raw])).toEqual([
        ["Acme, Inc.", "Manufacturing; heavy"],
        ["Globex", "SaaS"]
      ])
      expect((yield* rows(fixture("tab.tsv"), { delimiter: "tab" })).length).toBe(2)
      const piped = yield* rows(fixture("wrong-delimiter.csv"), { delimiter: "|" })
      expect(piped.map((r) => r.values.domain)).toEqual(["acme.com"])
    }))

  it.effect("names the missing columns and the ones found", () =>
    Effect.gen(function* () {
      const error = yield* failure(fixture("missing-columns.csv"))
      expect(error.reason).toBe("MissingColumns")
      expect(error.line).toBe(1)
      expect(error.message).toContain(fixture("missing-columns.csv"))
      expect(error.message).toContain("lacks required columns country, employee_count, industry_raw")
      expect(error.message).toContain('columns found: "Company", "Website", "Location Notes", "Staff Notes"')
      // A delimiter the detection does not know reads as one column; the message says so.
      const piped = yield* failure(fixture("wrong-delimiter.csv"))
      expect(piped.reason).toBe("MissingColumns")
      expect(piped.message).toContain("company_name, domain, country, employee_count, industry_raw")
      expect(piped.message).toContain("--delimiter")
    }))

  it.effect("fails on a missing file and on a directory", () =>
    Effect.gen(function* () {
      const missing = yield* failure(fixture("no-such-file.csv"))
      expect(missing.reason).toBe("FileNotFound")
      expect(missing.message).toContain("no-such-file.csv")
      const directory = yield* failure(fixtures)
      expect(directory.reason).toBe("Unreadable")
      expect(directory.message).toContain("directory")
    }))

  it.effect("fails on an empty file, a file of blank lines and a header without data", () =>
    Effect.gen(function* () {
      for (const name of ["empty.csv", "blank-only.csv"]) {
        const error = yield* failure(fixture(name))
        expect(error.reason).toBe("EmptyFile")
        expect(error.message).toContain(name)
      }
      const headerOnly = yield* failure(fixture("header-only.csv"))
      expect(headerOnly.reason).toBe("EmptyFile")
      expect(headerOnly.message).toContain("no data lines")
    }))

  it.effect("says which line is not UTF-8, and recognizes UTF-16", () =>
    Effect.gen(function* () {
      const latin1 = yield* failure(fixture("invalid-utf8.csv"))
      expect(latin1.reason).toBe("InvalidEncoding")
      expect(latin1.line).toBe(3)
      expect(latin1.message).toContain("line 3")
      expect(latin1.message).toContain("UTF-8")
      const utf16 = yield* failure(fixture("utf16.csv"))
      expect(utf16.reason).toBe("InvalidEncoding")
      expect(utf16.message).toContain("UTF-16")
    }))

  it.effect("reports malformed lines with their number and what is wrong", () =>
    Effect.gen(function* () {
      const unclosed = yield* failure(fixture("unclosed-quote.csv"))
      expect(unclosed.reason).toBe("MalformedCsv")
      expect(unclosed.line).toBe(4)
      expect(unclosed.message).toContain("never closed")
      const extra = yield* failure(fixture("extra-fields.csv"))
      expect(extra.reason).toBe("MalformedCsv")
      expect(extra.line).toBe(3)
      expect(extra.message).toContain("6 fields where the header (line 1) has 5")
      expect(extra.message).toContain("quoted")
      const afterQuote = yield* failure(fixture("text-after-quote.csv"))
      expect(afterQuote.reason).toBe("MalformedCsv")
      expect(afterQuote.line).toBe(3)
      expect(afterQuote.message).toContain("closing quote")
      const short = yield* failure(fixture("short-record.csv"))
      expect(short.reason).toBe("MalformedCsv")
      expect(short.line).toBe(3)
      expect(short.message).toContain("3 fields where the header (line 1) has 5")
    }))

  it.effect("stops at a record that runs on for over a megabyte rather than buffering the file", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = path.join(dir, "runaway.csv")
      const filler = Array.from({ length: 40_000 }, (_, i) => `Company ${i},c${i}.com,US,${i},Software`).join("\n")
      fs.writeFileSync(file, `${HEADER}\nAcme,acme.com,US,1,x\n"Runaway,run.com,US,1,x\n${filler}\n`)
      const error = yield* failure(file)
      expect(error.reason).toBe("MalformedCsv")
      expect(error.line).toBe(3)
      expect(error.message).toContain("unclosed quote")
      // Megabytes of blank lines and empty cells, as spreadsheets sometimes export, are no such record.
      fs.writeFileSync(file, `${HEADER}\nAcme,acme.com,US,1,x\n${"\n".repeat(1_500_000)}${",,,,\n".repeat(300_000)}Zeta,zeta.com,US,2,y\n`)
      expect((yield* rows(file)).map((r) => r.lineNumber)).toEqual([2, 1_800_003])
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("accepts trailing empty cells as spreadsheets export them", () =>
    Effect.gen(function* () {
      const result = yield* rows(fixture("trailing-empty-cells.csv"))
      expect(result.map((r) => r.values.industry_raw)).toEqual(["Manufacturing", "SaaS"])
    }))

  it.effect("emits the rows before a malformed line, then fails", () =>
    Effect.gen(function* () {
      const seen: Array<number> = []
      const result = yield* loadCsv(fixture("extra-fields.csv"), {}).pipe(
        Stream.runForEach((row) => Effect.sync(() => seen.push(row.lineNumber))),
        Effect.either
      )
      expect(seen).toEqual([2])
      expect(Either.isLeft(result) && result.left.reason).toBe("MalformedCsv")
    }))

  it.effect("streams: a consumer that stops early never reads the rest of the file", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = path.join(dir, "big.csv")
      const lines = [HEADER]
      for (let i = 0; i < 50_000; i++) lines.push(`Company ${i},c${i}.com,US,${i},Software`)
      // An invalid byte near the end: reading the whole file would fail.
      fs.writeFileSync(file, Buffer.concat([Buffer.from(lines.join("\n") + "\n"), Buffer.from([0x41, 0xff, 0x0a])]))
      const first = yield* Stream.runCollect(Stream.take(loadCsv(file, {}), 3))
      expect(Chunk.toArray(first).map((r) => r.values.domain)).toEqual(["c0.com", "c1.com", "c2.com"])
      const all = yield* failure(file)
      expect(all.reason).toBe("InvalidEncoding")
      expect(all.line).toBe(50_002)
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("emits chunks of rows, none larger than Stream.runFold can walk", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = path.join(dir, "chunks.csv")
      const lines = [HEADER]
      for (let i = 0; i < 30_000; i++) lines.push(`Company ${i},c${i}.com,US,${i},Software`)
      fs.writeFileSync(file, lines.join("\n"))
      const sizes = yield* loadCsv(file, {}).pipe(
        Stream.mapChunks((chunk) => Chunk.of(Chunk.size(chunk))),
        Stream.runCollect,
        Effect.map(Chunk.toArray)
      )
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(30_000)
      expect(sizes.length).toBeGreaterThan(1)
      expect(Math.max(...sizes)).toBeLessThanOrEqual(1024)
      expect(Math.max(...sizes)).toBeGreaterThan(100)
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("keeps multi-byte characters split across read boundaries intact", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = path.join(dir, "unicode.csv")
      const names = ["Société Générale", "株式会社テスト", "Zürich 🚀 AG", "Ωmega"]
      const lines = [HEADER]
      // Lines of varying byte lengths so that 2-, 3- and 4-byte characters land on every chunk boundary.
      for (let i = 0; i < 40_000; i++) lines.push(`${names[i % names.length]}${"é".repeat(i % 7)},u${i}.com,Österreich,${i},Büro`)
      fs.writeFileSync(file, lines.join("\r\n"))
      const result = yield* rows(file)
      expect(result.length).toBe(40_000)
      for (const [i, row] of result.entries()) {
        expect(row.lineNumber).toBe(i + 2)
        expect(row.values.company_name).toBe(`${names[i % names.length]}${"é".repeat(i % 7)}`)
      }
      // And an invalid byte deep into the file is found on its line.
      fs.writeFileSync(
        file,
        Buffer.concat([Buffer.from(lines.slice(0, 30_000).join("\n") + "\nBad "), Buffer.from([0xff]), Buffer.from(" line,bad.com,US,1,x\n")])
      )
      const error = yield* failure(file)
      expect(error.reason).toBe("InvalidEncoding")
      expect(error.line).toBe(30_001)
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("numbers every record by its first physical line, whatever the quoting, blank lines and line endings", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = path.join(dir, "generated.csv")
      const random = prng(42)
      const pick = <A>(items: ReadonlyArray<A>) => items[Math.floor(random() * items.length)]!
      // One line ending for the whole file, then a file mixing all three from line to line.
      for (const endings of [["\n"], ["\r\n"], ["\r"], ["\n", "\r\n", "\r"]]) {
        const expected: Array<{ line: number; name: string; industry: string }> = []
        let text = HEADER + pick(endings)
        let line = 2
        for (let i = 0; i < 3_000; i++) {
          while (random() < 0.1) {
            // An empty line right after a lone CR would make its LF the second half of a CRLF: one line, not two.
            text += pick(text.endsWith("\r") ? ["   ", ",,,,"] : ["", "   ", ",,,,"]) + pick(endings)
            line++
          }
          const breaks = Array.from({ length: random() < 0.2 ? Math.floor(random() * 3) + 1 : 0 }, () => pick(["\n", "\r\n", "\r"]))
          const name = `Name ${i}` + breaks.map((b) => `${b}more`).join("")
          const industry = random() < 0.3 ? `Quoted, "industry" ${i}` : `Plain ${i}`
          const quote = (value: string) => `"${value.replace(/"/g, '""')}"`
          const nameCell = breaks.length > 0 || random() < 0.3 ? quote(name) : name
          const industryCell = industry.includes(",") ? quote(industry) : industry
          text += `${nameCell},d${i}.com,US,${i},${industryCell}${pick(endings)}`
          // Line breaks inside values come out as LF, whatever the file used.
          expected.push({ line, name: name.replace(/\r\n?/g, "\n"), industry })
          line += 1 + breaks.length
        }
        fs.writeFileSync(file, text)
        const result = yield* rows(file)
        expect(result.map((r) => ({ line: r.lineNumber, name: r.values.company_name, industry: r.values.industry_raw }))).toEqual(expected)
      }
      fs.rmSync(dir, { recursive: true, force: true })
    }))
})

describe("CSV header and delimiter helpers", () => {
  it("normalizes header names", () => {
    expect(normalizeHeader("Company Name")).toBe("company_name")
    expect(normalizeHeader(" COMPANY_NAME ")).toBe("company_name")
    expect(normalizeHeader("company-name")).toBe("company_name")
    expect(normalizeHeader("CompanyName")).toBe("company_name")
    expect(normalizeHeader("employeeCount")).toBe("employee_count")
    expect(normalizeHeader("Industry (raw)")).toBe("industry_raw")
  })

  it("detects the delimiter from the header line, ignoring quoted text and leading blank lines", () => {
    expect(detectDelimiter("a,b,c\n1;2;3;4;5;6")).toBe(",")
    expect(detectDelimiter("a;b;c\n")).toBe(";")
    expect(detectDelimiter("a\tb\tc")).toBe("\t")
    expect(detectDelimiter('"a;b;c;d",e,f\n')).toBe(",")
    expect(detectDelimiter("\ufeff\n\na;b\n")).toBe(";")
    expect(detectDelimiter("single")).toBe(",")
  })
})

describe("LineEndings", () => {
  it("turns CRLF and lone CR into LF wherever the chunks are cut", () => {
    const input = "a\r\nb\rc\n\r\r\nd\r"
    const expected = "a\nb\nc\n\n\nd\n"
    for (let cut = 0; cut <= input.length; cut++) {
      for (let second = cut; second <= input.length; second++) {
        const endings = new LineEndings()
        const parts = [input.slice(0, cut), input.slice(cut, second), input.slice(second)].map((p) => endings.push(Buffer.from(p)))
        expect([cut, second, Buffer.concat([...parts, endings.finish()]).toString()]).toEqual([cut, second, expected])
      }
    }
  })

  it("passes LF-only input through as the same buffer", () => {
    const chunk = Buffer.from("a,b\nc,d\n")
    expect(new LineEndings().push(chunk)).toBe(chunk)
  })
})

describe("sha256File", () => {
  it.effect("hashes the file's bytes as lowercase hex", () =>
    Effect.gen(function* () {
      const file = fixture("messy-real-world.csv")
      const expected = createHash("sha256").update(fs.readFileSync(file)).digest("hex")
      expect(yield* sha256File(file)).toBe(expected)
    }))

  it.effect("fails with FileNotFound for a missing file", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(sha256File(fixture("no-such-file.csv")))
      expect(error.reason).toBe("FileNotFound")
    }))
})

describe("loadCsv: header aliases and --columns", () => {
  it.effect("maps common aliases by default", () =>
    Effect.gen(function* () {
      const result = yield* rows(fixture("real-lists.csv"))
      expect(summary(result[0]!)).toEqual({
        line: 2,
        company_name: "FameGame",
        domain: "https://apps.apple.com/us/app/famegame/id1545158372",
        country: "United States",
        employee_count: "11-50",
        industry_raw: "Consumer"
      })
      const dir = tempDir()
      const file = path.join(dir, "aliases.csv")
      fs.writeFileSync(file, "Name,URL,Headquarters Country,Company Size,Sector\nAcme,acme.com,DE,51-200,Fintech\n")
      expect(summary((yield* rows(file))[0]!)).toMatchObject({ company_name: "Acme", domain: "acme.com", country: "DE", employee_count: "51-200", industry_raw: "Fintech" })
    }))

  it.effect("maps any other header with --columns", () =>
    Effect.gen(function* () {
      const missing = yield* failure(fixture("custom-headers.csv"))
      expect(missing.message).toContain("lacks required columns company_name, domain, country, employee_count")
      const columns = "company_name=Org,domain=Web Address,country=nation,Employee Count=People"
      const result = yield* Stream.runCollect(loadCsv(fixture("custom-headers.csv"), { columns })).pipe(Effect.map(Chunk.toArray))
      expect(summary(result[0]!)).toEqual({ line: 2, company_name: "Acme", domain: "acme.com", country: "US", employee_count: "120", industry_raw: "SaaS" })
      const wrong = yield* Effect.flip(Stream.runCollect(loadCsv(fixture("custom-headers.csv"), { columns: "domain=Site" })))
      expect(wrong.reason).toBe("MissingColumns")
      expect(wrong.message).toContain("domain (--columns domain=Site: no such header)")
    }))

  it("parses --columns purely, naming what is wrong", () => {
    expect(parseColumnMapping("domain=Website, employee_count=Headcount")).toEqual(Either.right({ domain: "Website", employee_count: "Headcount" }))
    expect(Either.flip(parseColumnMapping("domain"))).toEqual(Either.right('--columns: expected COLUMN=HEADER, got "domain"'))
    expect(Either.flip(parseColumnMapping("site=Website"))).toEqual(
      Either.right('--columns: "site" is not a column; the columns are company_name, domain, country, employee_count, industry_raw')
    )
    expect(Either.flip(parseColumnMapping("domain=A,domain=B"))).toEqual(Either.right("--columns: domain is given twice"))
  })

  it.effect("a bad --columns is a LoadError before any row", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Stream.runCollect(loadCsv(fixture("basic.csv"), { columns: "nonsense" })))
      expect(error.reason).toBe("InvalidColumns")
    }))

  it.effect("cleans NUL and other control characters out of fields, so they never reach the database", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = path.join(dir, "nul.csv")
      fs.writeFileSync(file, `${HEADER}\nGood,good.com,US,10,SaaS\nAc\u0000me\u0007,acme\u0000.com,US,1\u00000,Saa\u0000S\n`)
      const result = yield* rows(file)
      expect(result.map(summary)).toEqual([
        { line: 2, company_name: "Good", domain: "good.com", country: "US", employee_count: "10", industry_raw: "SaaS" },
        { line: 3, company_name: "Acme", domain: "acme.com", country: "US", employee_count: "10", industry_raw: "SaaS" }
      ])
      expect(JSON.stringify(result[1]!.raw)).not.toMatch(/\\u0000|\\u0007/)
    }))
})
