import { Config, ConfigError, Either, Option, Redacted } from "effect"

const invalid = (name: string, expected: string, raw: string) =>
  ConfigError.InvalidData([], `${name}: expected ${expected}, got '${raw}'`)

const parsed = <A>(name: string, expected: string, parse: (raw: string) => A | undefined) =>
  Config.string(name).pipe(
    Config.mapOrFail((raw) => {
      const value = parse(raw.trim())
      return value === undefined ? Either.left(invalid(name, expected, raw)) : Either.right(value)
    })
  )

const parseInteger = (min: number, max: number) => (raw: string) => {
  if (!/^[+-]?\d+$/.test(raw)) return undefined
  const n = Number(raw)
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined
}

const parseNumber = (min: number, max: number) => (raw: string) => {
  if (raw === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) return undefined
  const n = Number(raw)
  return Number.isFinite(n) && n >= min && n <= max ? n : undefined
}

const booleans: Record<string, boolean> = {
  true: true, false: false, "1": true, "0": false, yes: true, no: false, on: true, off: false
}

/** Integer in [min, max]; the error names the variable and the range. */
export const integer = (name: string, options: { min: number; max: number; default: number }) =>
  parsed(name, `an integer ${options.min}-${options.max}`, parseInteger(options.min, options.max)).pipe(
    Config.withDefault(options.default)
  )

export const optionalInteger = (name: string, options: { min: number; max: number }) =>
  Config.option(parsed(name, `an integer ${options.min}-${options.max}`, parseInteger(options.min, options.max)))

/** Decimal number in [min, max]. */
export const number = (name: string, options: { min: number; max: number; default: number }) =>
  parsed(name, `a number ${options.min}-${options.max}`, parseNumber(options.min, options.max)).pipe(
    Config.withDefault(options.default)
  )

export const boolean = (name: string, defaultValue: boolean) =>
  parsed(name, "true or false", (raw) => booleans[raw.toLowerCase()]).pipe(Config.withDefault(defaultValue))

export const nonEmptyString = (name: string, defaultValue: string) =>
  parsed(name, "a non-empty string", (raw) => (raw === "" ? undefined : raw)).pipe(Config.withDefault(defaultValue))

export const optionalString = (name: string) =>
  Config.option(Config.string(name)).pipe(
    Config.map(Option.flatMap((raw) => (raw.trim() === "" ? Option.none() : Option.some(raw.trim()))))
  )

/** A secret that may be absent; an empty value counts as absent. */
export const optionalSecret = (name: string) =>
  Config.option(Config.redacted(name)).pipe(
    Config.map(Option.filter((secret) => Redacted.value(secret).trim() !== ""))
  )

export const literal = <const L extends ReadonlyArray<string>>(name: string, values: L, defaultValue: L[number]) =>
  parsed(name, `one of ${values.join(", ")}`, (raw) =>
    values.find((v) => v === raw.toLowerCase()) as L[number] | undefined
  ).pipe(Config.withDefault(defaultValue))

/** Comma-separated list; empty means none. */
export const list = (name: string, defaultValue: ReadonlyArray<string>) =>
  Config.string(name).pipe(
    Config.map((raw) => raw.split(",").map((s) => s.trim()).filter((s) => s !== "")),
    Config.withDefault(defaultValue as Array<string>)
  )

/** An http(s) URL. */
export const optionalUrl = (name: string) =>
  Config.option(
    parsed(name, "an http(s) URL", (raw) => {
      if (raw === "") return undefined
      try {
        const url = new URL(raw)
        return url.protocol === "http:" || url.protocol === "https:" ? url.toString().replace(/\/$/, "") : undefined
      } catch {
        return undefined
      }
    })
  )
