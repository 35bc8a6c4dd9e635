import { CsvError, Parser } from "csv-parse"
import { sanitizeText } from "../../schema/sanitizeText.js"
import type { ColumnMapping } from "./ColumnMapping.js"
import { LoadError } from "./LoadError.js"
import { headerAliases, normalizeHeader } from "./normalizeHeader.js"
import { type RawRow, type RequiredColumn, requiredColumns } from "./RawRow.js"

/**
 * A record longer than this is almost always an unclosed quote swallowing the rest of the file; stopping there
 * keeps such a file from being buffered whole. Checked per chunk here rather than by csv-parse's
 * max_record_size, which costs a comparison on every byte.
 */
const MAX_RECORD_BYTES = 1 << 20

interface Header {
  readonly line: number
  /** The file's own column names (trimmed, made unique): the keys of RawRow.raw. */
  readonly names: ReadonlyArray<string>
  readonly index: Readonly<Record<RequiredColumn, number>>
}

/** A row whose raw record is built only when asked for, i.e. when the row is rejected. */
class CsvRow implements RawRow {
  private rawRecord: Record<string, string> | undefined
  constructor(
    readonly lineNumber: number,
    readonly values: Readonly<Record<RequiredColumn, string>>,
    private readonly fields: ReadonlyArray<string>,
    private readonly names: ReadonlyArray<string>
  ) {}

  get raw(): Readonly<Record<string, string>> {
    if (this.rawRecord === undefined) {
      const raw: Record<string, string> = {}
      for (let i = 0; i < this.names.length; i++) raw[this.names[i]!] = this.fields[i] ?? ""
      this.rawRecord = raw
    }
    return this.rawRecord
  }

  toJSON() {
    return { lineNumber: this.lineNumber, values: this.values, raw: this.raw }
  }
}

const CONTROL_BYTES = [...Array.from({ length: 32 }, (_, b) => b).filter((b) => b !== 9 && b !== 10 && b !== 13), 127]

/** Whether the bytes hold a C0 control other than tab, LF and CR, or DEL: what sanitizeText removes. */
const unstorableByte = (bytes: Buffer): boolean => {
  // One native scan per byte value beats a JavaScript loop over every byte.
  for (const b of CONTROL_BYTES) if (bytes.indexOf(b) !== -1) return true
  return false
}

const uniqueNames = (fields: ReadonlyArray<string>): Array<string> => {
  const seen = new Set<string>()
  return fields.map((field, i) => {
    let name = field.trim() === "" ? `column_${i + 1}` : field.trim()
    for (let n = 2; seen.has(name); n++) name = `${field.trim()}_${n}`
    seen.add(name)
    return name
  })
}

/** Line breaks inside a record's values (the input's line endings are all LF by now). */
const breaksIn = (fields: ReadonlyArray<string>): number => {
  let breaks = 0
  for (const field of fields) {
    for (let at = field.indexOf("\n"); at !== -1; at = field.indexOf("\n", at + 1)) breaks++
  }
  return breaks
}

/**
 * csv-parse's stream parser with its records collected in place of queued: driven synchronously through
 * `_transform`/`_flush`, it hands each record to `onRecord` with `info.lines` current, and nothing goes through the
 * stream machinery (per-record queueing, or `on_record`'s info object, would cost more than the parsing).
 */
class CollectingParser extends Parser {
  onRecord: (record: Array<string>, lines: number) => void = () => {}

  override push(record: unknown): boolean {
    if (record !== null) this.onRecord(record as Array<string>, this.info.lines)
    return true
  }
}

/**
 * Turns a CSV file's bytes, chunk after chunk, into rows: each call returns the rows that chunk completed.
 * The bytes must have LF line endings (LineEndings). The first record is the header; its columns are matched by
 * normalized name.
 */
export class CsvRecordReader {
  private header: Header | undefined
  private rows: Array<RawRow> = []
  private dataRows = 0
  private lastLine = 0
  /** Bytes pushed since csv-parse last ended a field or a line: all inside one value. */
  private bytesWithoutRecord = 0
  /** csv-parse's line count at the previous record. */
  private previousLines = 0
  /** Set once a chunk holds a control character: from then on every field is sanitized (see unstorableByte). */
  private sanitize = false
  private readonly parser: CollectingParser

  constructor(
    private readonly path: string,
    delimiter: string,
    private readonly columns: ColumnMapping = {}
  ) {
    this.parser = new CollectingParser({
      bom: true,
      delimiter,
      record_delimiter: "\n",
      trim: true,
      relax_quotes: true,
      // Lengths are checked in onRecord, where whitespace-only lines can be told from short records.
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true
    })
    this.parser.onRecord = (record, lines) => this.onRecord(record, lines)
    // Errors reach push() through the transform callback; this only keeps the stream from re-emitting them unhandled.
    this.parser.on("error", () => {})
  }

  /** The rows completed by this chunk of the file. */
  push(chunk: Buffer): Array<RawRow> | LoadError {
    if (!this.sanitize && unstorableByte(chunk)) this.sanitize = true
    const progressBefore = this.progress()
    let failure: Error | null | undefined
    try {
      this.parser._transform(chunk, "utf8", (error) => {
        failure = error
      })
    } catch (error) {
      // onRecord's own LoadErrors (header, record length) come out of csv-parse as throws.
      if (!(error instanceof LoadError)) throw error
      failure = error
    }
    this.bytesWithoutRecord = this.progress() === progressBefore ? this.bytesWithoutRecord + chunk.length : 0
    if (!failure && this.bytesWithoutRecord > MAX_RECORD_BYTES) {
      const after = this.lastLine
      return new LoadError({
        reason: "MalformedCsv",
        path: this.path,
        line: after + 1,
        message: `${this.path} line ${after + 1}: the record starting after line ${after} runs over ${MAX_RECORD_BYTES} bytes (an unclosed quote?)`
      })
    }
    return this.take(failure)
  }

  /** Moves whenever csv-parse ends a field, a record or a blank line, and never inside a quoted value. */
  private progress(): number {
    return this.parser.info.bytes + this.parser.info.empty_lines
  }

  /** The last rows, once the whole file has been pushed. */
  finish(): Array<RawRow> | LoadError {
    let failure: Error | null | undefined
    try {
      this.parser._flush((error) => {
        failure = error
      })
    } catch (error) {
      if (!(error instanceof LoadError)) throw error
      failure = error
    }
    const rows = this.take(failure)
    if (rows instanceof LoadError) return rows
    if (this.header === undefined) {
      return new LoadError({ reason: "EmptyFile", path: this.path, message: `${this.path} is empty: it has no header line and no data` })
    }
    if (this.dataRows === 0) {
      return new LoadError({
        reason: "EmptyFile",
        path: this.path,
        line: this.header.line,
        message: `${this.path} has a header (line ${this.header.line}) but no data lines`
      })
    }
    return rows
  }

  private take(failure: Error | null | undefined): Array<RawRow> | LoadError {
    if (failure) return failure instanceof LoadError ? failure : this.describe(failure)
    const rows = this.rows
    this.rows = []
    return rows
  }

  private onRecord(fields: Array<string>, lines: number) {
    // A NUL or other control character cannot be stored (Postgres text refuses U+0000): cleaned here, in the
    // validation pass, so it never reaches the database nor fails a run midway.
    if (this.sanitize) for (let i = 0; i < fields.length; i++) fields[i] = sanitizeText(fields[i]!).trim()
    // One line further than the previous record: nothing in between, no line break inside (the common case).
    const breaks = lines === this.previousLines + 1 ? 0 : breaksIn(fields)
    this.previousLines = lines
    const lineNumber = lines - breaks
    this.lastLine = lines
    if (this.header === undefined) {
      this.header = this.readHeader(fields, lineNumber)
      return
    }
    const header = this.header
    if (fields.length !== header.names.length) this.checkLength(fields, header, lineNumber)
    const index = header.index
    this.dataRows++
    this.rows.push(
      new CsvRow(
        lineNumber,
        {
          company_name: fields[index.company_name] ?? "",
          domain: fields[index.domain] ?? "",
          country: fields[index.country] ?? "",
          employee_count: fields[index.employee_count] ?? "",
          industry_raw: fields[index.industry_raw] ?? ""
        },
        fields,
        header.names
      )
    )
  }

  private checkLength(fields: ReadonlyArray<string>, header: Header, lineNumber: number) {
    // Trailing empty cells (`a,b,c,,`) are what spreadsheets export; they carry nothing to misplace.
    if (fields.length > header.names.length && fields.slice(header.names.length).every((f) => f === "")) return
    const expected = header.names.length
    throw new LoadError({
      reason: "MalformedCsv",
      path: this.path,
      line: lineNumber,
      message:
        `${this.path} line ${lineNumber}: ${fields.length} fields where the header (line ${header.line}) has ${expected}` +
        (fields.length > expected ? " (a value containing the delimiter must be quoted)" : "")
    })
  }

  private readHeader(fields: ReadonlyArray<string>, lineNumber: number): Header {
    const names = uniqueNames(fields)
    const normalized = fields.map(normalizeHeader)
    const index = {} as Record<RequiredColumn, number>
    const missing: Array<string> = []
    for (const column of requiredColumns) {
      const mapped = this.columns[column]
      if (mapped !== undefined) {
        let at = names.indexOf(mapped.trim())
        if (at === -1) at = normalized.indexOf(normalizeHeader(mapped))
        if (at === -1) missing.push(`${column} (--columns ${column}=${mapped}: no such header)`)
        else index[column] = at
        continue
      }
      let at = normalized.indexOf(column)
      for (const alias of headerAliases[column]) {
        if (at !== -1) break
        at = normalized.indexOf(alias)
      }
      if (at === -1) missing.push(column)
      else index[column] = at
    }
    if (missing.length > 0) {
      throw new LoadError({
        reason: "MissingColumns",
        path: this.path,
        line: lineNumber,
        message:
          `${this.path} line ${lineNumber}: the header lacks required column${missing.length > 1 ? "s" : ""} ` +
          `${missing.join(", ")}; columns found: ${names.map((n) => JSON.stringify(n)).join(", ")} ` +
          `(names match ignoring case, spaces and punctuation, and common aliases such as website, employees, headcount, ` +
          `hq country, industry; map others with --columns domain=Website,employee_count=Headcount; a wrong delimiter ` +
          `reads as one column: try --delimiter)`
      })
    }
    return { line: lineNumber, names, index }
  }

  private describe(error: Error): LoadError {
    const code = error instanceof CsvError ? error.code : undefined
    const reported = (error as unknown as { lines?: unknown }).lines
    const lines = typeof reported === "number" ? reported : undefined
    const after = this.lastLine
    const at = (line: number, what: string) =>
      new LoadError({ reason: "MalformedCsv", path: this.path, line, message: `${this.path} line ${line}: ${what}` })
    switch (code) {
      case "CSV_QUOTE_NOT_CLOSED":
        return at(after + 1, `a quoted value opened in the record starting after line ${after} is never closed`)
      case "CSV_INVALID_CLOSING_QUOTE":
      case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
        return at(
          lines ?? after + 1,
          'text follows the closing quote of a quoted value (quote the whole value and double the quotes inside it: "say ""hi""")'
        )
      default:
        return at(lines ?? after + 1, error.message)
    }
  }
}
