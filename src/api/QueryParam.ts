import { Either, ParseResult, Schema } from "effect"

/**
 * Schemas for single request parameters (query or path). The encoded side is whatever Hono hands over (a
 * string, or an array when a query parameter is repeated), the JSON Schema is what OpenAPI shows, and each
 * failure message states the rule, so a 400 can name the parameter and what it expects.
 */

type JsonSchema = Record<string, unknown>

const shown = (raw: string) => JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)

// NUL cannot be stored in a Postgres text value, and no filter value needs control characters.
const controlCharacter = /[\u0000-\u001f\u007f]/

export const make = <A>(options: {
  readonly type: Schema.Schema<A>
  readonly parse: (raw: string) => Either.Either<A, string>
  readonly format: (value: A) => string
  readonly jsonSchema: JsonSchema
}) =>
  Schema.transformOrFail(Schema.Unknown, Schema.typeSchema(options.type), {
    strict: true,
    decode: (input, _, ast) => {
      if (typeof input !== "string") return ParseResult.fail(new ParseResult.Type(ast, input, "must be given only once"))
      return Either.match(options.parse(input), {
        onLeft: (message) => ParseResult.fail(new ParseResult.Type(ast, input, message)),
        onRight: ParseResult.succeed
      })
    },
    encode: (value) => ParseResult.succeed(options.format(value))
  }).annotations({ jsonSchema: options.jsonSchema })

export const integer = (options: { readonly min: number; readonly max: number; readonly description: string; readonly default?: number }) =>
  make({
    type: Schema.Int,
    parse: (raw) => {
      const rule = `must be an integer from ${options.min} to ${options.max}`
      if (raw.trim() === "") return Either.left(`${rule}, got an empty value`)
      if (!/^[+-]?\d{1,16}$/.test(raw)) return Either.left(`${rule}, got ${shown(raw)}`)
      const value = Number(raw)
      return value >= options.min && value <= options.max ? Either.right(value) : Either.left(`${rule}, got ${shown(raw)}`)
    },
    format: String,
    jsonSchema: {
      type: "integer",
      minimum: options.min,
      maximum: options.max,
      description: options.description,
      ...(options.default === undefined ? {} : { default: options.default })
    }
  })

export const text = (options: { readonly maxLength: number; readonly description: string }) =>
  make({
    type: Schema.String,
    parse: (raw) => {
      const value = raw.trim()
      if (value === "") return Either.left("must not be empty")
      if (value.length > options.maxLength) return Either.left(`must be at most ${options.maxLength} characters, got ${value.length}`)
      if (controlCharacter.test(value)) return Either.left("must not contain control characters")
      return Either.right(value)
    },
    format: (value) => value,
    jsonSchema: { type: "string", minLength: 1, maxLength: options.maxLength, description: options.description }
  })

/** One of a fixed set of values, matched without regard to case and given back in its canonical spelling. */
export const oneOf = <const L extends ReadonlyArray<string>>(
  values: L,
  options: { readonly description: string; readonly default?: L[number] }
) =>
  make({
    type: Schema.Literal(...values),
    parse: (raw) => {
      const found = values.find((v) => v.toLowerCase() === raw.trim().toLowerCase())
      return found === undefined
        ? Either.left(`must be one of ${values.join(", ")}, got ${raw === "" ? "an empty value" : shown(raw)}`)
        : Either.right(found as L[number])
    },
    format: (value) => value,
    jsonSchema: {
      type: "string",
      enum: [...values],
      description: options.description,
      ...(options.default === undefined ? {} : { default: options.default })
    }
  })

/** A positive database id in a path. */
export const id = (description: string) =>
  make({
    type: Schema.Int,
    parse: (raw) => {
      const value = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN
      return Number.isSafeInteger(value) && value >= 1
        ? Either.right(value)
        : Either.left(`must be a positive integer, got ${raw === "" ? "an empty value" : shown(raw)}`)
    },
    format: String,
    jsonSchema: { type: "integer", minimum: 1, description }
  })

