import countries from "i18n-iso-countries/index.js"
import { createRequire } from "node:module"
import { isPlaceholder } from "./isPlaceholder.js"

export interface Country {
  readonly code: string
  readonly name: string
}

/** Where the library's first English name is the formal one, the name people filter by. */
const COMMON_NAMES: Readonly<Record<string, string>> = {
  US: "United States",
  CN: "China",
  CZ: "Czechia",
  GM: "Gambia",
  IR: "Iran",
  MK: "North Macedonia",
  PS: "Palestine",
  RU: "Russia",
  TW: "Taiwan",
  TZ: "Tanzania",
  CI: "Côte d'Ivoire"
}

/** Names CRM exports use that no locale lists as a country. */
const EXTRA_NAMES: Readonly<Record<string, string>> = {
  england: "GB",
  scotland: "GB",
  wales: "GB",
  "northern ireland": "GB",
  britain: "GB",
  holland: "NL",
  america: "US",
  korea: "KR",
  "south korea": "KR",
  "hong kong sar": "HK",
  "viet nam": "VN",
  "czech republic": "CZ",
  "republic of ireland": "IE",
  uae: "AE"
}

/** Locales whose names are tried after English, for lists kept in another language (`Deutschland`). */
const OTHER_LOCALES = ["de", "fr", "es", "it", "nl", "pt", "sv", "da", "nb", "fi", "pl"] as const

const keyOf = (text: string) =>
  text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[’`´]/g, "'")
    .replace(/\./g, "")
    .replace(/&/g, " and ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^the /, "")

// The package's main module registers all of its ~80 locales (about 1 MB of names); the core and the ones we
// match are enough.
const require = createRequire(import.meta.url)
for (const locale of ["en", ...OTHER_LOCALES]) countries.registerLocale(require(`i18n-iso-countries/langs/${locale}.json`))

const byName = new Map<string, string>()
const addName = (name: string, code: string) => {
  const key = keyOf(name)
  if (key !== "" && !byName.has(key)) byName.set(key, code)
}
for (const locale of ["en", ...OTHER_LOCALES]) {
  for (const [code, names] of Object.entries(countries.getNames(locale, { select: "all" }))) {
    for (const name of names) addName(name, code)
  }
}
for (const [name, code] of Object.entries(EXTRA_NAMES)) addName(name, code)

const byAlpha3 = new Map(Object.entries(countries.getAlpha3Codes()).map(([a3, a2]) => [a3.toLowerCase(), a2]))
const alpha2Codes = new Set(Object.keys(countries.getAlpha2Codes()).map((c) => c.toLowerCase()))

const lookup = (text: string, allowAlpha2: boolean): string | undefined => {
  const key = keyOf(text)
  if (key === "") return undefined
  const named = byName.get(key)
  if (named !== undefined) return named
  if (key.length === 3) return byAlpha3.get(key)
  if (allowAlpha2 && key.length === 2 && alpha2Codes.has(key)) return key.toUpperCase()
  return undefined
}

const PART_SEPARATORS = /[;|/,\n]| [-–—] /
const PARENTHESIZED = /\(([^)]*)\)/g

const resolve = (raw: string): string | undefined => {
  const whole = lookup(raw, true)
  if (whole !== undefined) return whole
  const outside = raw.replace(PARENTHESIZED, " ")
  const inside = [...raw.matchAll(PARENTHESIZED)].map((m) => m[1] ?? "")
  const parts = [...outside.split(PART_SEPARATORS), ...inside.flatMap((p) => p.split(PART_SEPARATORS))]
  // A two-letter part after the first is more often a region than a country (`Boston, MA`).
  for (const [index, part] of parts.entries()) {
    const code = lookup(part, index === 0)
    if (code !== undefined) return code
  }
  return undefined
}

const CACHE_LIMIT = 4096
const cache = new Map<string, Country | null>()

const canonical = (code: string): Country => ({ code, name: COMMON_NAMES[code] ?? countries.getName(code, "en") ?? code })

/**
 * The ISO 3166-1 alpha-2 code and common English name for what a list says about a company's country
 * (`US`, `USA`, `U.S.`, `United States`, `USA; Remote`, `Deutschland`), or null when it names none (`NA` is
 * read as "not available", not Namibia).
 */
export const normalizeCountry = (raw: string): Country | null => {
  const trimmed = raw.trim()
  const cached = cache.get(trimmed)
  if (cached !== undefined) return cached
  const code = trimmed === "" || isPlaceholder(trimmed) ? undefined : resolve(trimmed)
  const result = code === undefined ? null : canonical(code)
  // Country values repeat heavily; the bound keeps a column of free text from growing the cache without limit.
  if (cache.size < CACHE_LIMIT) cache.set(trimmed, result)
  return result
}
