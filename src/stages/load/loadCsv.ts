import { Chunk, Effect, Either, Option, Stream } from "effect"
import * as fs from "node:fs/promises"
import { parseColumnMapping } from "./ColumnMapping.js"
import { CsvRecordReader } from "./CsvRecordReader.js"
import { delimiterFromOption, detectDelimiter } from "./detectDelimiter.js"
import { fileError } from "./fileErrors.js"
import { LoadError } from "./LoadError.js"
import { LineEndings } from "./LineEndings.js"
import type { RawRow } from "./RawRow.js"
import { Utf8Check } from "./Utf8Check.js"

/** Bytes read from the file at a time. */
const READ_SIZE = 1 << 18
/**
 * Bytes handed to the parser at a time. Small on purpose: the rows of one slice are still alive when the next
 * minor GC runs only if a slice is large, and rows that survive get promoted, which is what grows the heap (and RSS)
 * with the input; 16 KiB keeps a slice's rows (~300) short-lived.
 */
const PARSE_SIZE = 1 << 14
/**
 * Rows per emitted chunk. Large enough that per-chunk stream overhead vanishes, small enough for consumers that
 * walk a chunk recursively (Stream.runFold recurses once per element and overflows the stack near 10k).
 */
const CHUNK_ROWS = 1024

const invalidEncoding = (path: string, line: number, detail: string) =>
  new LoadError({
    reason: "InvalidEncoding",
    path,
    line,
    message: `${path} line ${line}: ${detail}; save the file as UTF-8 (e.g. \`iconv -f WINDOWS-1252 -t UTF-8\`)`
  })

const usableDelimiter = (delimiter: string) => delimiter !== "" && !/["\r\n]/.test(delimiter)

const utf16 = (bytes: Uint8Array) => (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)

/**
 * The data rows of a company CSV, streamed (never the whole file in memory) in chunks of rows, with the delimiter
 * detected from the header unless given.
 *
 * Fails with a LoadError when the file is missing, unreadable, not UTF-8, empty, malformed or lacks a required
 * column; the rows before the problem have been emitted by then, so a consumer that must not act on a bad file
 * reads it through once first. `columns` is the `--columns` text (`domain=Website,employee_count=Headcount`).
 */
export const loadCsv = (
  path: string,
  options: { readonly delimiter?: string | undefined; readonly columns?: string | undefined }
): Stream.Stream<RawRow, LoadError> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const file = yield* Effect.acquireRelease(
        Effect.tryPromise({ try: () => fs.open(path, "r"), catch: (e) => fileError(path, e) }),
        (handle) => Effect.ignore(Effect.tryPromise(() => handle.close()))
      )
      const stat = yield* Effect.tryPromise({ try: () => file.stat(), catch: (e) => fileError(path, e) })
      if (stat.isDirectory()) return yield* fileError(path, Object.assign(new Error("is a directory"), { code: "EISDIR" }))

      if (options.delimiter !== undefined && !usableDelimiter(delimiterFromOption(options.delimiter))) {
        return yield* new LoadError({
          reason: "MalformedCsv",
          path,
          message: `${path}: the delimiter ${JSON.stringify(options.delimiter)} cannot separate fields (use one character such as , ; | or tab)`
        })
      }
      const columns = parseColumnMapping(options.columns ?? "")
      if (options.columns !== undefined && Either.isLeft(columns)) {
        return yield* new LoadError({ reason: "InvalidColumns", path, message: columns.left })
      }
      const mapping = Either.getOrElse(columns, () => ({}))
      const lineEndings = new LineEndings()
      const utf8 = new Utf8Check()
      let reader: CsvRecordReader | undefined
      let done = false
      let pending: Array<RawRow> = []
      let taken = 0

      const next = (): Chunk.Chunk<RawRow> => {
        if (taken === 0 && pending.length <= CHUNK_ROWS) {
          const chunk = Chunk.unsafeFromArray(pending)
          // Not kept here past this chunk: rows that outlive a minor GC get promoted (see PARSE_SIZE).
          pending = []
          return chunk
        }
        const end = Math.min(taken + CHUNK_ROWS, pending.length)
        const chunk = Chunk.unsafeFromArray(pending.slice(taken, end))
        taken = end
        if (taken === pending.length) {
          pending = []
          taken = 0
        }
        return chunk
      }

      let block: Buffer = Buffer.alloc(0)
      let blockOffset = 0

      const read = Effect.tryPromise({
        try: async () => {
          const buffer = Buffer.allocUnsafe(READ_SIZE)
          const { bytesRead } = await file.read(buffer, 0, READ_SIZE, null)
          return buffer.subarray(0, bytesRead)
        },
        catch: (e) => fileError(path, e)
      })

      const rowsOf = (input: Buffer): Array<RawRow> | LoadError => {
        if (reader === undefined) {
          if (utf16(input)) return invalidEncoding(path, 1, "the file is UTF-16, not UTF-8")
          const delimiter =
            options.delimiter === undefined
              ? detectDelimiter(input.subarray(0, 65_536).toString("utf8"))
              : delimiterFromOption(options.delimiter)
          reader = new CsvRecordReader(path, delimiter, mapping)
        }
        const bytes = lineEndings.push(input)
        const badLine = utf8.push(bytes)
        if (badLine !== null) return invalidEncoding(path, badLine, "the file is not valid UTF-8")
        return reader.push(bytes)
      }

      const finish = (): Array<RawRow> | LoadError => {
        const badLine = utf8.finish()
        if (badLine !== null) return invalidEncoding(path, badLine, "the file ends inside a UTF-8 character")
        const last = reader ?? new CsvRecordReader(path, ",")
        const held = last.push(lineEndings.finish())
        if (held instanceof LoadError) return held
        const rest = last.finish()
        return rest instanceof LoadError ? rest : [...held, ...rest]
      }

      const emit = (rows: Array<RawRow> | LoadError): Effect.Effect<Chunk.Chunk<RawRow>, Option.Option<LoadError>> => {
        if (rows instanceof LoadError) return Effect.fail(Option.some(rows))
        pending = rows
        taken = 0
        return Effect.succeed(next())
      }

      const pull: Effect.Effect<Chunk.Chunk<RawRow>, Option.Option<LoadError>> = Effect.suspend(() => {
        if (taken < pending.length) return Effect.succeed(next())
        if (done) return Effect.fail(Option.none())
        if (blockOffset < block.length) {
          const slice = block.subarray(blockOffset, blockOffset + PARSE_SIZE)
          blockOffset += slice.length
          return emit(rowsOf(slice))
        }
        return read.pipe(
          Effect.mapError(Option.some),
          Effect.flatMap((bytes) => {
            if (bytes.length === 0) {
              done = true
              return emit(finish())
            }
            block = bytes
            blockOffset = Math.min(PARSE_SIZE, bytes.length)
            return emit(rowsOf(bytes.subarray(0, blockOffset)))
          })
        )
      })

      return Stream.repeatEffectChunkOption(pull)
    })
  )
