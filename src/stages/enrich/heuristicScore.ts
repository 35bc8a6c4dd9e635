import { normalizeCountry } from "../clean/normalizeCountry.js"
import type { IcpStructure } from "./IcpProfile.js"
import { type IndustryMatch, industryTaxonomy, normalizeLabel } from "./IndustryTaxonomy.js"
import type { ModelOutput } from "./ModelOutput.js"
import { describeBand, segmentForCount } from "./segmentForCount.js"

/**
 * The offline scorer: a transparent rubric read from the ICP file's structured part, so the pipeline runs end to
 * end without any model. Bump HEURISTIC_VERSION whenever the rubric changes (it is the "model" name, hence part
 * of the cache key; the ICP file is in the prompt version).
 *
 * icp_fit_score = 100 × (sum of the components' points) / (sum of the weights of the components with evidence):
 * - size (weights.size): a curve over log(employees) peaking at size.sweet_spot.peak, worth 0.7 at the sweet spot's
 *   edges, times 0.4 below size.very_small_team (flag "very small team"). Without a head count the component is
 *   left out (flag "employee count unknown").
 * - industry (weights.industry): the label matched to the ICP's industries through data/industry-taxonomy.json:
 *   a target industry 0.35 + 0.65 × match strength (the taxonomy's strength times the industry's weight), a label
 *   outside the ICP 0.25, an unknown or empty label 0.3, a poor-fit industry 0 (flag "industry outside ICP").
 * - website (weights.website): 1 - e^(-k/3) for k distinct fit signals in the text, minus 0.1 per poor-fit signal;
 *   no text or a parked page 0 (flags "no website content", "parked or placeholder site").
 * - country (weights.country): a target country 1, a secondary one 0.6, another known country 0.2, unknown 0.4.
 * - name (weights.name): 0.5, plus 0.25 per fit word in the company's name or domain, minus 0.5 per poor-fit word.
 *
 * confidence: without website text (or a parked page) 0.2 plus 0.05 for each of a known size, a recognized
 * industry and a known country (at most 0.35); thin text 0.45; else 0.55 + 0.04 per signal (at most 0.85), minus
 * 0.1 when the industry is unknown.
 */
export const HEURISTIC_VERSION = "heuristic-v2"

export interface HeuristicCompany {
  readonly companyName: string
  readonly domain?: string | undefined
  /** A country as the list gives it (name or code); matched to ISO codes. */
  readonly country?: string | null | undefined
  readonly employeeCount: number | null
  readonly industry: string | null
  readonly websiteText: string | null
}

export const THIN_TEXT_CHARS = 200
const EDGE_FIT = 0.7
const VERY_SMALL_FACTOR = 0.4

const parkedPage =
  /\b(domain (is )?for sale|buy this domain|this domain (may be|is) for sale|domain parking|parked (free|domain|by)|coming soon|under construction|website is under construction|lorem ipsum|welcome to nginx|apache2? (ubuntu )?default page|it works!|default web page|future home of)/i

export const isPlaceholder = (text: string): boolean => parkedPage.test(text)

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

interface CompiledIcp {
  readonly fit: ReadonlyArray<readonly [string, RegExp]>
  readonly poor: ReadonlyArray<readonly [string, RegExp]>
  /** Single words of the fit signals and industry synonyms, for names and domains. */
  readonly nameFit: ReadonlySet<string>
  readonly namePoor: ReadonlySet<string>
  readonly target: ReadonlySet<string>
  readonly secondary: ReadonlySet<string>
}

const compiled = new WeakMap<IcpStructure, CompiledIcp>()

const wordsPattern = (words: ReadonlyArray<string>) =>
  new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.map((w) => escapeRegExp(w.trim()).replace(/\s+/g, "[\\s-]+")).join("|")})(?![\\p{L}\\p{N}])`, "iu")

const compile = (icp: IcpStructure): CompiledIcp => {
  let done = compiled.get(icp)
  if (done !== undefined) return done
  const single = (words: ReadonlyArray<string>) => words.map(normalizeLabel).filter((w) => w !== "" && !w.includes(" "))
  done = {
    fit: Object.entries(icp.signals.fit).map(([label, words]) => [label, wordsPattern(words)] as const),
    poor: Object.entries(icp.signals.poor_fit).map(([label, words]) => [label, wordsPattern(words)] as const),
    nameFit: new Set([...Object.values(icp.signals.fit).flatMap(single), ...icp.industries.flatMap((i) => single(i.synonyms))]),
    namePoor: new Set([...Object.values(icp.signals.poor_fit).flatMap(single), ...icp.poor_fit_industries.flatMap((i) => single(i.synonyms))]),
    target: new Set(icp.countries.target),
    secondary: new Set(icp.countries.secondary)
  }
  compiled.set(icp, done)
  return done
}

/** How well a head count fits, 0-1: a bell over log(employees), EDGE_FIT at the sweet spot's edges. */
export const sizeFit = (employees: number, size: IcpStructure["size"]): number => {
  const { min, max, peak } = size.sweet_spot
  const x = Math.log(Math.max(1, employees))
  const center = Math.log(peak)
  const edge = x < center ? Math.log(min) : Math.log(max)
  const spread = Math.abs(center - edge) / Math.sqrt(2 * Math.log(1 / EDGE_FIT))
  const fit = spread === 0 ? (x === center ? 1 : EDGE_FIT) : Math.exp(-((x - center) ** 2) / (2 * spread ** 2))
  return employees < size.very_small_team ? fit * VERY_SMALL_FACTOR : fit
}

export const industryFit = (match: IndustryMatch): number =>
  match.kind === "target" ? 0.35 + 0.65 * match.strength : match.kind === "poor" ? 0 : match.kind === "other" ? 0.25 : 0.3

const nameTokens = (company: HeuristicCompany): Array<string> => {
  const domainLabel = company.domain?.split(".")[0] ?? ""
  const tokens = normalizeLabel(`${company.companyName} ${domainLabel.replace(/-/g, " ")}`).split(" ")
  return [...new Set(tokens.filter((t) => t.length >= 2))]
}

/** Fit and poor-fit words in the name and domain, including words run together in a domain (`acmepay`). */
const nameWords = (company: HeuristicCompany, icp: CompiledIcp) => {
  const tokens = nameTokens(company)
  const domainLabel = normalizeLabel(company.domain?.split(".")[0] ?? "").replace(/ /g, "")
  const fit = new Set(tokens.filter((t) => icp.nameFit.has(t)))
  const poor = new Set(tokens.filter((t) => icp.namePoor.has(t)))
  for (const word of icp.nameFit) if (word.length >= 4 && domainLabel.length > word.length && domainLabel.includes(word)) fit.add(word)
  return { fit: [...fit].sort(), poor: [...poor].sort() }
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`)
const points = (value: number) => (Math.round(value * 10) / 10).toFixed(1)

/** The sentence (or line) of the text around the first signal found: an exact substring, so it verifies. */
const quoteAround = (text: string, pattern: RegExp): string | null => {
  const match = pattern.exec(text)
  if (!match) return null
  const before = text.slice(0, match.index)
  const start = Math.max(before.lastIndexOf(". "), before.lastIndexOf("\n"), before.lastIndexOf("! "), before.lastIndexOf("? "))
  const from = start < 0 ? 0 : start + (text[start] === "\n" ? 1 : 2)
  const rest = text.slice(match.index)
  const endRel = rest.search(/[.!?\n]/)
  const to = endRel < 0 ? text.length : match.index + endRel
  const sentence = text.slice(from, to).trim()
  if (sentence.length <= 160) return sentence === "" ? null : sentence
  // Whole words around the signal: a slice of the original text, so it still verifies.
  const words = text.slice(Math.max(from, match.index - 60), Math.min(to, match.index + 100)).split(/\s+/)
  const inner = words.slice(match.index - 60 > from ? 1 : 0, match.index + 100 < to ? -1 : undefined).join(" ")
  return inner === "" ? null : inner
}

const useCases: Record<string, string> = {
  software: "Automating customer support triage, onboarding and account operations workflows",
  fintech: "Automating back-office operations such as KYC checks, reconciliation and compliance reporting",
  ecommerce: "Automating order handling, returns and customer support workflows",
  logistics: "Automating shipment tracking, dispatch updates and exception handling",
  "professional-services": "Automating client intake, document processing and reporting",
  poor: "Automating repetitive administrative and data-entry workflows",
  other: "Automating repetitive back-office and data-processing workflows"
}

const pitchTails: Record<string, string> = {
  software: "resolve support and onboarding work automatically while your team scales",
  fintech: "clear KYC, reconciliation and reporting work automatically",
  ecommerce: "handle orders, returns and support requests automatically at peak volume",
  logistics: "keep shipments, dispatch and exceptions moving without manual follow-up",
  "professional-services": "turn client intake and document work into automated workflows",
  poor: "take repetitive administrative work off your team",
  other: "take repetitive back-office work off your team"
}

/** The use-case family of an industry match: the first of its ICP industry's categories the templates know. */
const family = (match: IndustryMatch, icp: IcpStructure): string => {
  if (match.kind === "poor") return "poor"
  if (match.kind !== "target") return "other"
  const industry = icp.industries.find((i) => i.name === match.industry)
  const categories = [match.category, ...(industry?.categories ?? [])]
  return categories.find((c): c is string => c !== null && c in useCases) ?? "other"
}

export const scoreHeuristically = (company: HeuristicCompany, icp: IcpStructure): ModelOutput => {
  const rules = compile(icp)
  const weights = icp.weights
  const employees = company.employeeCount
  const segment = segmentForCount(employees, icp.size)
  const match = industryTaxonomy.match(company.industry, icp)
  const text = company.websiteText?.trim() ?? ""
  const hasText = text !== ""
  const parked = hasText && isPlaceholder(text)
  const thin = hasText && !parked && text.length < THIN_TEXT_CHARS
  const usable = hasText && !parked
  const signals = usable ? rules.fit.filter(([, pattern]) => pattern.test(text)) : []
  const poorSignals = usable ? rules.poor.filter(([, pattern]) => pattern.test(text)) : []
  const countryRaw = company.country?.trim() ?? ""
  const country = countryRaw === "" ? null : normalizeCountry(countryRaw)
  const name = nameWords(company, rules)

  const size = employees === null ? null : weights.size * sizeFit(employees, icp.size)
  const industry = weights.industry * industryFit(match)
  const website = usable ? weights.website * Math.max(0, 1 - Math.exp(-signals.length / 3) - 0.1 * poorSignals.length) : 0
  const countryFit = country === null ? 0.4 : rules.target.has(country.code) ? 1 : rules.secondary.has(country.code) ? 0.6 : 0.2
  const countryPoints = weights.country * countryFit
  const namePoints = weights.name * Math.max(0, Math.min(1, 0.5 + 0.25 * name.fit.length - 0.5 * name.poor.length))
  const available = 100 - (size === null ? weights.size : 0)
  const earned = (size ?? 0) + industry + website + countryPoints + namePoints
  const score = Math.max(0, Math.min(100, Math.round(available === 0 ? 0 : (100 * earned) / available)))

  const riskFlags: Array<string> = []
  if (!hasText) riskFlags.push("no website content")
  if (thin) riskFlags.push("thin website content")
  if (parked) riskFlags.push("parked or placeholder site")
  if (employees === null) riskFlags.push("employee count unknown")
  else if (employees < icp.size.very_small_team) riskFlags.push("very small team")
  if (match.kind === "poor") riskFlags.push("industry outside ICP")
  if (match.kind === "unknown" || match.kind === "other") riskFlags.push("industry unknown or unclear")
  for (const [label] of poorSignals.slice(0, 2)) riskFlags.push(clip(`website suggests ${label}`, 80))

  const { min, max, peak } = icp.size.sweet_spot
  const sizeReason =
    employees === null || size === null
      ? `Size: no head count, so the size component (${weights.size} points) is left out and the score is out of the other ${available}.`
      : `Size: ${employees} employees, ${describeBand(segment, icp.size)}; fit ${sizeFit(employees, icp.size).toFixed(2)} on a curve peaking at ${peak} (sweet spot ${min}-${max}${employees < icp.size.very_small_team ? ", very small team" : ""}): +${points(size)} of ${weights.size}.`
  const label = company.industry?.trim() ? clip(company.industry.trim(), 60) : null
  const industryReason =
    label === null
      ? `Industry: none given, fit unknown: +${points(industry)} of ${weights.industry}.`
      : match.kind === "target"
        ? `Industry: "${label}" matches ${match.industry} (strength ${match.strength.toFixed(2)}): +${points(industry)} of ${weights.industry}.`
        : match.kind === "poor"
          ? `Industry: "${label}" is ${match.industry}, outside the ICP: +0.0 of ${weights.industry}.`
          : match.kind === "other"
            ? `Industry: "${label}" is not one of the ICP's industries: +${points(industry)} of ${weights.industry}.`
            : `Industry: "${label}" is not a label the taxonomy knows, fit unclear: +${points(industry)} of ${weights.industry}.`
  const countryText =
    country === null
      ? countryRaw === "" ? "no country given" : `country "${clip(countryRaw, 40)}" unknown`
      : `${country.name} is ${rules.target.has(country.code) ? "a target country" : rules.secondary.has(country.code) ? "a secondary country" : "outside the target countries"}`
  const nameText =
    name.fit.length === 0 && name.poor.length === 0
      ? "name and domain neutral"
      : `name/domain ${[...name.fit.map((w) => `fit word "${w}"`), ...name.poor.map((w) => `poor-fit word "${w}"`)].slice(0, 3).join(", ")}`
  const countryReason = `Country: ${countryText}: +${points(countryPoints)} of ${weights.country}; ${nameText}: +${points(namePoints)} of ${weights.name}.`

  const rationale: Array<{ reason: string; quote: string | null }> = [
    { reason: clip(sizeReason, 240), quote: null },
    { reason: clip(industryReason, 240), quote: null },
    { reason: clip(countryReason, 240), quote: null }
  ]
  if (!hasText) {
    rationale.push({ reason: `Website: no text was available, so the score rests on company fields only: +0.0 of ${weights.website}.`, quote: null })
  } else if (parked) {
    rationale.push({ reason: `Website: parked or a placeholder, no evidence: +0.0 of ${weights.website}.`, quote: quoteAround(text, parkedPage) })
  } else if (signals.length > 0) {
    rationale.push({
      reason: clip(`Website: ICP signals ${signals.map(([l]) => l).join(", ")}: +${points(website)} of ${weights.website}.`, 240),
      quote: quoteAround(text, signals[0]![1])
    })
  } else {
    rationale.push({ reason: `Website: none of the ICP's signals: +${points(website)} of ${weights.website}.`, quote: null })
  }

  const known = (employees === null ? 0 : 1) + (match.recognized ? 1 : 0) + (country === null ? 0 : 1)
  const confidence = !usable
    ? 0.2 + 0.05 * known
    : thin
      ? 0.45
      : Math.min(0.85, 0.55 + 0.04 * signals.length) - (match.kind === "unknown" ? 0.1 : 0)

  const kind = family(match, icp)
  const displayName = clip(company.companyName.replace(/\s+/g, " ").trim(), 80)
  return {
    icp_fit_score: score,
    segment,
    primary_use_case: useCases[kind]!,
    risk_flags: riskFlags.slice(0, 8),
    personalized_pitch: `${displayName}, CommonForge's AI automation platform can ${pitchTails[kind]!}.`,
    score_rationale: rationale,
    confidence: Math.round(confidence * 100) / 100
  }
}
