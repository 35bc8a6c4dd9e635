import { Either, ParseResult, Schema } from "effect"
import { LineCounter, parseDocument } from "yaml"
import { SizeSegment } from "../../schema/Segment.js"

const Words = Schema.Array(Schema.NonEmptyTrimmedString)
const Weight = Schema.Number.pipe(Schema.between(0, 1))
const Count = Schema.Int.pipe(Schema.nonNegative())

const TargetIndustry = Schema.Struct({
  name: Schema.NonEmptyTrimmedString,
  /** Keys of data/industry-taxonomy.json's categories that count as this industry. */
  categories: Words,
  /** Words or phrases that, found in an industry label, name this industry. */
  synonyms: Words,
  /** How well the industry fits, 0-1: the industry component's share for a perfect match. */
  weight: Schema.optionalWith(Weight, { default: () => 1 })
})

const PoorFitIndustry = Schema.Struct({
  name: Schema.NonEmptyTrimmedString,
  categories: Words,
  synonyms: Words
})

const Band = Schema.Struct({
  segment: SizeSegment,
  from: Schema.optionalWith(Count, { default: () => 0 }),
  below: Schema.optional(Count)
})

const Bands = Schema.Array(Band).pipe(
  Schema.filter((bands) => {
    if (bands.length === 0) return "at least one band is needed"
    const sorted = [...bands].sort((a, b) => a.from - b.from)
    if (sorted[0]!.from !== 0) return "the first band must start at 0 employees (omit `from`)"
    for (let i = 0; i < sorted.length; i++) {
      const band = sorted[i]!
      const next = sorted[i + 1]
      if (next === undefined) {
        if (band.below !== undefined) return `the last band (${band.segment}) must have no \`below\`: it is open-ended`
      } else if (band.below !== next.from) {
        return `bands must be contiguous: ${band.segment} ends below ${band.below ?? "(nothing)"} but ${next.segment} starts at ${next.from}`
      }
    }
    return undefined
  })
)

const SweetSpot = Schema.Struct({ min: Count, max: Count, peak: Count }).pipe(
  Schema.filter((s) => (s.min <= s.peak && s.peak <= s.max && s.min >= 1 ? undefined : "expected 1 <= min <= peak <= max"))
)

const CountryCode = Schema.String.pipe(Schema.pattern(/^[A-Z]{2}$/, { message: () => "expected an ISO 3166 alpha-2 code such as US" }))

const Weights = Schema.Struct({
  size: Schema.Number.pipe(Schema.nonNegative()),
  industry: Schema.Number.pipe(Schema.nonNegative()),
  website: Schema.Number.pipe(Schema.nonNegative()),
  country: Schema.Number.pipe(Schema.nonNegative()),
  name: Schema.Number.pipe(Schema.nonNegative())
}).pipe(
  Schema.filter((w) => {
    const total = w.size + w.industry + w.website + w.country + w.name
    return Math.abs(total - 100) < 1e-9 ? undefined : `the weights must add up to 100, they add up to ${total}`
  })
)

/** The structured part of the ICP file (its YAML front matter). */
export const IcpStructure = Schema.Struct({
  industries: Schema.NonEmptyArray(TargetIndustry),
  poor_fit_industries: Schema.optionalWith(Schema.Array(PoorFitIndustry), { default: () => [] }),
  size: Schema.Struct({
    sweet_spot: SweetSpot,
    very_small_team: Count,
    bands: Bands
  }),
  countries: Schema.Struct({
    target: Schema.Array(CountryCode),
    secondary: Schema.optionalWith(Schema.Array(CountryCode), { default: () => [] })
  }),
  signals: Schema.Struct({
    fit: Schema.Record({ key: Schema.String, value: Words }),
    poor_fit: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Words }), { default: () => ({}) })
  }),
  weights: Weights
})
export type IcpStructure = typeof IcpStructure.Type

export interface IcpProfile {
  /** The whole file: hashed into the prompt version, so an edit of either part is a new version. */
  readonly text: string
  /** The file without its front matter: the ICP the LLM reads. */
  readonly prose: string
  readonly structure: IcpStructure
}

const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/

/** The prose of an ICP file: everything after its front matter. */
export const icpProse = (text: string): string => {
  const match = FRONT_MATTER.exec(text)
  return match === null ? text : text.slice(match[0].length)
}

const describePath = (path: ReadonlyArray<PropertyKey>) =>
  path.length === 0 ? "the front matter" : path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".").replace(/\.\[/g, "[")

/**
 * The ICP file read: YAML front matter (between `---` lines) validated against IcpStructure, and the prose after
 * it. Pure; an error names the file, the line and what is wrong.
 */
export const parseIcpProfile = (text: string, source: string): Either.Either<IcpProfile, string> => {
  const match = FRONT_MATTER.exec(text)
  if (match === null) {
    return Either.left(
      `${source}: no structured part: the file must start with YAML front matter between two \`---\` lines ` +
        "(industries, size, countries, signals, weights), as data/icp.md does"
    )
  }
  const yamlText = match[1]!
  // The YAML starts on the line after the opening `---`.
  const lineOf = (counter: LineCounter, offset: number) => counter.linePos(offset).line + 1
  const lines = new LineCounter()
  const document = parseDocument(yamlText, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const syntax = document.errors[0]
  if (syntax !== undefined) {
    const line = lineOf(lines, syntax.pos[0])
    return Either.left(`${source} line ${line}: invalid YAML: ${syntax.message.split("\n")[0]}`)
  }
  const decoded = Schema.decodeUnknownEither(IcpStructure)(document.toJS(), { errors: "all" })
  if (Either.isLeft(decoded)) {
    const byPath = new Map<string, { path: ReadonlyArray<PropertyKey>; messages: Array<string> }>()
    for (const issue of ParseResult.ArrayFormatter.formatErrorSync(decoded.left)) {
      const key = JSON.stringify(issue.path)
      const entry = byPath.get(key) ?? { path: issue.path, messages: [] }
      entry.messages.push(issue._tag === "Missing" ? "is missing" : issue.message)
      byPath.set(key, entry)
    }
    const messages = [...byPath.values()].slice(0, 5).map(({ path: issuePath, messages: found }) => {
      let path = [...issuePath]
      let node: unknown = undefined
      for (; path.length > 0; path = path.slice(0, -1)) {
        node = document.getIn(path as Array<string | number>, true)
        if (node !== undefined) break
      }
      const range = (node as { range?: [number, number, number] } | undefined)?.range ?? document.contents?.range
      const line = range === undefined ? 2 : lineOf(lines, range[0])
      // A literal's alternatives come one issue each: `expected one of "SMB", "Mid-Market", got "Midmarket"`.
      const literals = found.map((m) => /^Expected (".*"), actual (.*)$/.exec(m))
      const what = literals.every((m) => m !== null) && literals.length > 1
        ? `expected one of ${literals.map((m) => m![1]).join(", ")}, got ${literals[0]![2]}`
        : found.join("; ")
      return `${source} line ${line}: ${describePath(issuePath)}: ${what}`
    })
    return Either.left(messages.join("\n"))
  }
  return Either.right({ text, prose: text.slice(match[0].length), structure: decoded.right })
}
