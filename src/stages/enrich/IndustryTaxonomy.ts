import { Schema } from "effect"
import * as fs from "node:fs"
import { packageFile } from "../../config/packageFile.js"
import type { IcpStructure } from "./IcpProfile.js"

const TaxonomyFile = Schema.Struct({
  categories: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({
      strong: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
      broad: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] })
    })
  })
})

/** A broad label (`B2B`, `Consumer`, `Healthcare`) only leans to a category. */
const BROAD_STRENGTH = 0.5
/** A synonym of the ICP found inside a label the taxonomy does not list. */
const SYNONYM_STRENGTH = 0.9
/** Each further ICP industry a composite label matches (`Fintech; E-commerce`). */
const EXTRA_MATCH_BONUS = 0.05

/** Lowercase, accents and punctuation off, `&` as `and`: how labels and synonyms are compared. */
export const normalizeLabel = (label: string): string =>
  label
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/[^a-z0-9]+/g, " ")
    .trim()

const PART_SEPARATORS = /[;,|/()]|->|>|\s[-–—]\s/

export interface IndustryMatch {
  /** target: one of the ICP's industries; poor: a poor-fit one; other: a known label outside the ICP; unknown: none. */
  readonly kind: "target" | "poor" | "other" | "unknown"
  /** The ICP industry matched (target or poor). */
  readonly industry: string | null
  /** How strongly the label names that industry, 0-1 (its ICP weight included). */
  readonly strength: number
  /** The taxonomy or a synonym recognized the label (what `pnpm bench score` counts). */
  readonly recognized: boolean
  /** The category the match came through, e.g. `software`; null for a synonym match or none. */
  readonly category: string | null
}

const UNKNOWN: IndustryMatch = { kind: "unknown", industry: null, strength: 0, recognized: false, category: null }

interface Hit {
  readonly category: string
  readonly strength: number
}

/**
 * Industry labels as lists write them (LinkedIn, NAICS, Crunchbase/YC, Inc. 5000: data/industry-taxonomy.json),
 * matched to the ICP's industries through the categories both name.
 */
export class IndustryTaxonomy {
  private readonly labels = new Map<string, Array<Hit>>()
  private readonly matchers = new WeakMap<IcpStructure, (label: string) => IndustryMatch>()

  constructor(file: typeof TaxonomyFile.Type) {
    for (const [category, { strong, broad }] of Object.entries(file.categories)) {
      const add = (label: string, strength: number) => {
        const key = normalizeLabel(label)
        const hits = this.labels.get(key) ?? []
        if (!hits.some((h) => h.category === category && h.strength >= strength)) hits.push({ category, strength })
        this.labels.set(key, hits)
      }
      for (const label of strong) add(label, 1)
      for (const label of broad) add(label, BROAD_STRENGTH)
    }
  }

  static fromJson(text: string, source: string): IndustryTaxonomy {
    const decoded = Schema.decodeUnknownEither(Schema.parseJson(TaxonomyFile))(text)
    if (decoded._tag === "Left") throw new Error(`${source}: ${decoded.left.message}`)
    return new IndustryTaxonomy(decoded.right)
  }

  /** The categories the taxonomy gives a label (whole, not split). */
  lookup(label: string): ReadonlyArray<Hit> {
    return this.labels.get(normalizeLabel(label)) ?? []
  }

  /** How a label matches the ICP's industries. */
  match(label: string | null, icp: IcpStructure): IndustryMatch {
    if (label === null || label.trim() === "") return UNKNOWN
    let matcher = this.matchers.get(icp)
    if (matcher === undefined) {
      matcher = this.makeMatcher(icp)
      this.matchers.set(icp, matcher)
    }
    return matcher(label)
  }

  private makeMatcher(icp: IcpStructure): (label: string) => IndustryMatch {
    const targets = new Map<string, { industry: string; weight: number }>()
    for (const industry of icp.industries) {
      for (const category of industry.categories) {
        const known = targets.get(category)
        if (known === undefined || known.weight < industry.weight) targets.set(category, { industry: industry.name, weight: industry.weight })
      }
    }
    const poor = new Map<string, string>()
    for (const industry of icp.poor_fit_industries) for (const category of industry.categories) poor.set(category, industry.name)
    const synonyms = [
      ...icp.industries.flatMap((i) => i.synonyms.map((s) => ({ phrase: normalizeLabel(s), industry: i.name, weight: i.weight, poor: false }))),
      ...icp.poor_fit_industries.flatMap((i) => i.synonyms.map((s) => ({ phrase: normalizeLabel(s), industry: i.name, weight: 1, poor: true })))
    ].filter((s) => s.phrase !== "")
    const cache = new Map<string, IndustryMatch>()

    const compute = (label: string): IndustryMatch => {
      const whole = normalizeLabel(label)
      const parts = [whole, ...label.split(PART_SEPARATORS).map(normalizeLabel)].filter((p, i, all) => p !== "" && all.indexOf(p) === i)
      let recognized = false
      let bestTarget: { industry: string; strength: number; category: string | null } | undefined
      let bestPoor: { industry: string; strength: number; category: string | null } | undefined
      const targetIndustries = new Set<string>()
      const consider = (kind: "target" | "poor", industry: string, strength: number, category: string | null) => {
        if (kind === "target") {
          targetIndustries.add(industry)
          if (bestTarget === undefined || strength > bestTarget.strength) bestTarget = { industry, strength, category }
        } else if (bestPoor === undefined || strength > bestPoor.strength) {
          bestPoor = { industry, strength, category }
        }
      }
      for (const part of parts) {
        const hits = this.labels.get(part)
        if (hits !== undefined) {
          recognized = true
          for (const hit of hits) {
            const target = targets.get(hit.category)
            if (target !== undefined) consider("target", target.industry, hit.strength * target.weight, hit.category)
            const poorIndustry = poor.get(hit.category)
            if (poorIndustry !== undefined) consider("poor", poorIndustry, hit.strength, hit.category)
          }
          continue
        }
        const padded = ` ${part} `
        for (const synonym of synonyms) {
          if (!padded.includes(` ${synonym.phrase} `)) continue
          recognized = true
          consider(synonym.poor ? "poor" : "target", synonym.industry, SYNONYM_STRENGTH * synonym.weight, null)
        }
      }
      if (bestPoor !== undefined && (bestTarget === undefined || bestPoor.strength > bestTarget.strength)) {
        return { kind: "poor", industry: bestPoor.industry, strength: bestPoor.strength, recognized, category: bestPoor.category }
      }
      if (bestTarget !== undefined) {
        const strength = Math.min(1, bestTarget.strength + EXTRA_MATCH_BONUS * (targetIndustries.size - 1))
        return { kind: "target", industry: bestTarget.industry, strength, recognized, category: bestTarget.category }
      }
      return recognized ? { kind: "other", industry: null, strength: 0, recognized, category: null } : UNKNOWN
    }

    return (label) => {
      let result = cache.get(label)
      if (result === undefined) {
        result = compute(label)
        // Labels repeat heavily; the bound keeps free text from growing the cache without limit.
        if (cache.size < 10_000) cache.set(label, result)
      }
      return result
    }
  }
}

const TAXONOMY_FILE = packageFile("data", "industry-taxonomy.json")

/** The taxonomy shipped in data/industry-taxonomy.json, read once. */
export const industryTaxonomy: IndustryTaxonomy = IndustryTaxonomy.fromJson(
  fs.readFileSync(TAXONOMY_FILE, "utf8"),
  "data/industry-taxonomy.json"
)
