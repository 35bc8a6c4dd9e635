import { Args, Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Cause, Console, Data, Effect, Either, Exit, Option } from "effect"
import * as zlib from "node:zlib"
import { configProviderWithDotEnv } from "../config/DotEnv.js"
import { ScraperConfig } from "../config/ScraperConfig.js"
import { ExitCode } from "../process/ExitCode.js"
import { runProgram } from "../process/runProgram.js"
import { decodeHtml } from "../stages/scrape/decodeHtml.js"
import { extractText } from "../stages/scrape/extractText.js"

/**
 * pnpm -s extract FILE... [--max-length N]
 *
 * The scrape stage's text extraction on local HTML files (plain or gzipped): one JSON line per file on stdout,
 * {"file", "title", "description", "text"}. Files that cannot be read are reported on stderr and the exit code
 * is 2; the others are still printed.
 */

class ExtractCliError extends Data.TaggedError("ExtractCliError")<{ readonly reason: "BadFile"; readonly message: string }> {}

const readProblems: Partial<Record<string, string>> = {
  NotFound: "no such file",
  PermissionDenied: "permission denied",
  BadResource: "not a regular file"
}

const isGzip = (bytes: Uint8Array) => bytes[0] === 0x1f && bytes[1] === 0x8b

const readHtml = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const bytes = yield* fs.readFile(file).pipe(
      Effect.mapError((error) => {
        const why = error._tag === "SystemError" ? (readProblems[error.reason] ?? error.description ?? error.reason) : error.message
        return new ExtractCliError({ reason: "BadFile", message: `cannot read ${file}: ${why}` })
      })
    )
    const raw = isGzip(bytes)
      ? yield* Effect.try({
          try: () => new Uint8Array(zlib.gunzipSync(bytes)),
          catch: (cause) =>
            new ExtractCliError({ reason: "BadFile", message: `cannot read ${file}: not valid gzip (${(cause as Error).message})` })
        })
      : bytes
    return decodeHtml(raw, undefined).text
  })

const command = Command.make(
  "extract",
  {
    files: Args.text({ name: "FILE" }).pipe(Args.withDescription("an HTML file, plain or gzipped"), Args.atLeast(1)),
    maxLength: Options.integer("max-length").pipe(
      Options.withDescription("cut the text to N characters on a word boundary, 0 for no cap (default: MAX_WEBSITE_TEXT_LENGTH)"),
      Options.optional
    )
  },
  ({ files, maxLength }) =>
    Effect.gen(function* () {
      const cap = yield* Option.match(maxLength, {
        onSome: (n) =>
          n < 0
            ? Effect.fail(new ExtractCliError({ reason: "BadFile", message: `--max-length: expected 0 or more, got ${n}` }))
            : Effect.succeed(n),
        onNone: () => Effect.map(ScraperConfig, (settings) => settings.maxTextLength)
      })
      const failures: Array<string> = []
      for (const file of files) {
        const html = yield* Effect.either(readHtml(file))
        if (Either.isLeft(html)) {
          failures.push(html.left.message)
          yield* Console.error(`error: ${html.left.message}`)
          continue
        }
        const { title, description, text } = extractText(html.right, { maxLength: cap })
        yield* Console.log(JSON.stringify({ file, title, description, text }))
      }
      if (failures.length > 0) {
        return yield* new ExtractCliError({ reason: "BadFile", message: `${failures.length} of ${files.length} files could not be read` })
      }
    })
).pipe(Command.withDescription("Print the main text the scrape stage extracts from HTML files, one JSON line per file."))

const cli = Command.run(command, { name: "extract", version: "0.1.0" })

const main = Effect.gen(function* () {
  const provider = yield* configProviderWithDotEnv()
  yield* cli(process.argv).pipe(Effect.withConfigProvider(provider))
}).pipe(Effect.provide(NodeContext.layer))

runProgram(main, {
  exitCode: (exit) =>
    Exit.isFailure(exit) && Option.exists(Cause.failureOption(exit.cause), (error) => error instanceof ExtractCliError)
      ? ExitCode.BadInput
      : undefined
})
