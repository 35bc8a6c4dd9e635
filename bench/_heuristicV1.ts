/** The offline scorer as it was before issue 16 (heuristic-v1), kept only as `pnpm bench score`'s baseline. */
import type { Segment } from "../src/schema/Segment.js"
import type { ModelOutput } from "../src/stages/enrich/ModelOutput.js"

/**
 * The offline scorer: a fixed, transparent rubric that mirrors data/icp.md, so the pipeline runs end to end
 * without any model. Bump HEURISTIC_VERSION whenever the rubric changes (it is the "model" name, hence part of
 * the cache key).
 *
 * Segment (employees): SMB < 200, Mid-Market 200-999, Enterprise >= 1000.
 *
 * icp_fit_score = size + industry + website, clamped to 0-100:
 * - size (0-30): < 20 employees 0 (flag "very small team"), 20-49 10, 50-5000 30, > 5000 20.
 * - industry (0-35): target industry 35 (software/SaaS, fintech, e-commerce, logistics, professional services and
 *   similar digital-first sectors), unknown or other 15, poor fit 0 (public sector, non-profit, hardware
 *   manufacturing; flag "industry outside ICP").
 * - website (0-35): 5 per distinct ICP signal word found in the text (automation, AI, workflow, integration,
 *   API, scale, platform, support, ...), at most 35. No text: 0 (flag "no website content"); fewer than
 *   200 characters: flag "thin website content"; parked or placeholder page: 0 (flag "parked or placeholder site").
 *
 * confidence: 0.3 without website text or for a parked page, 0.45 for thin text, else 0.55 + 0.05 per signal
 * (at most 0.8), minus 0.1 when the industry is unknown.
 */
export const HEURISTIC_VERSION = "heuristic-v1"

export interface HeuristicCompany {
  readonly companyName: string
  readonly employeeCount: number
  readonly industry: string | null
  readonly websiteText: string | null
}

export const segmentFor = (employees: number): Segment =>
  employees >= 1000 ? "Enterprise" : employees >= 200 ? "Mid-Market" : "SMB"

export const VERY_SMALL_TEAM = 20
export const THIN_TEXT_CHARS = 200

export const sizePoints = (employees: number): number =>
  employees < VERY_SMALL_TEAM ? 0 : employees < 50 ? 10 : employees <= 5000 ? 30 : 20

type IndustryKind = "software" | "fintech" | "ecommerce" | "logistics" | "services" | "digital"

const targetIndustries: ReadonlyArray<readonly [IndustryKind, RegExp]> = [
  ["fintech", /\b(fintech|financial technolog|payments?|banking|lending|insurtech|insurance tech|neobank|crypto)/i],
  ["software", /\b(saas|software|cloud|it services|information technology|dev ?tools|developer|cyber ?security|data|analytics|internet|tech)/i],
  ["ecommerce", /\b(e-?commerce|online retail|retail|marketplace|d2c|direct.to.consumer|consumer goods)/i],
  ["logistics", /\b(logistic|shipping|freight|supply chain|transport|delivery|courier|warehous)/i],
  ["services", /\b(professional services|consult|accounting|legal|law firm|agency|agencies|staffing|recruit|outsourc|bpo|marketing services|advertising)/i],
  ["digital", /\b(marketing tech|martech|hr tech|hrtech|edtech|healthtech|health tech|proptech|travel|telecom|media|gaming|insurance|real estate tech)/i]
]

const poorFitIndustry =
  /\b(government|public sector|public administration|municipal|non-?profit|not.for.profit|ngo|charity|charities|hardware manufactur|manufacturing|semiconductor|mining|agricultur|farming)/i

export const industryKind = (industry: string | null): IndustryKind | "poor" | "unknown" => {
  if (industry === null || industry.trim() === "") return "unknown"
  if (poorFitIndustry.test(industry) && !/\b(software|saas|platform|technology)\b/i.test(industry)) return "poor"
  return targetIndustries.find(([, pattern]) => pattern.test(industry))?.[0] ?? "unknown"
}

const industryPoints = (kind: ReturnType<typeof industryKind>) => (kind === "poor" ? 0 : kind === "unknown" ? 15 : 35)

/** ICP signal words, each counted once; the label is what the rationale names. */
export const SIGNALS: ReadonlyArray<readonly [string, RegExp]> = [
  ["automation", /\bautomat(e|es|ed|ion|ing)\b/i],
  ["AI", /\b(ai|artificial intelligence|machine learning|llm|genai)\b/i],
  ["workflows", /\bworkflows?\b/i],
  ["integrations", /\bintegrat(e|es|ion|ions)\b/i],
  ["APIs", /\bapis?\b/i],
  ["scale", /\b(scale|scaling|scalable|at scale)\b/i],
  ["platform", /\bplatforms?\b/i],
  ["customer support", /\b(customer support|customer service|help ?desk|support tickets?|self-service)\b/i],
  ["operations", /\b(operations|back-office|back office|ops)\b/i],
  ["data", /\b(data|dashboards?|analytics|reporting)\b/i],
  ["onboarding", /\bonboarding\b/i],
  ["cloud", /\b(cloud|saas)\b/i]
]

const parkedPage =
  /\b(domain (is )?for sale|buy this domain|this domain (may be|is) for sale|domain parking|parked (free|domain|by)|coming soon|under construction|website is under construction|lorem ipsum|welcome to nginx|apache2? (ubuntu )?default page|it works!|default web page|future home of)/i

export const isPlaceholder = (text: string): boolean => parkedPage.test(text)

const useCases: Record<IndustryKind | "poor" | "unknown", string> = {
  software: "Automating customer support triage, onboarding and account operations workflows",
  fintech: "Automating back-office operations such as KYC checks, reconciliation and compliance reporting",
  ecommerce: "Automating order handling, returns and customer support workflows",
  logistics: "Automating shipment tracking, dispatch updates and exception handling",
  services: "Automating client intake, document processing and reporting",
  digital: "Automating repetitive customer operations and data-processing workflows",
  poor: "Automating repetitive administrative and data-entry workflows",
  unknown: "Automating repetitive back-office and data-processing workflows"
}

const pitchTail: Record<IndustryKind | "poor" | "unknown", string> = {
  software: "resolve support and onboarding work automatically while your team scales",
  fintech: "clear KYC, reconciliation and reporting work automatically",
  ecommerce: "handle orders, returns and support requests automatically at peak volume",
  logistics: "keep shipments, dispatch and exceptions moving without manual follow-up",
  services: "turn client intake and document work into automated workflows",
  digital: "automate the repetitive operations behind your growth",
  poor: "take repetitive administrative work off your team",
  unknown: "take repetitive back-office work off your team"
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`)

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

export const scoreHeuristically = (company: HeuristicCompany): ModelOutput => {
  const employees = company.employeeCount
  const segment = segmentFor(employees)
  const kind = industryKind(company.industry)
  const text = company.websiteText?.trim() ?? ""
  const hasText = text !== ""
  const parked = hasText && isPlaceholder(text)
  const thin = hasText && !parked && text.length < THIN_TEXT_CHARS
  const signals = hasText && !parked ? SIGNALS.filter(([, pattern]) => pattern.test(text)) : []

  const score = Math.max(0, Math.min(100, sizePoints(employees) + industryPoints(kind) + Math.min(35, signals.length * 5)))

  const riskFlags: Array<string> = []
  if (!hasText) riskFlags.push("no website content")
  if (thin) riskFlags.push("thin website content")
  if (parked) riskFlags.push("parked or placeholder site")
  if (employees < VERY_SMALL_TEAM) riskFlags.push("very small team")
  if (kind === "poor") riskFlags.push("industry outside ICP")
  if (kind === "unknown") riskFlags.push("industry unknown or unclear")

  const band =
    segment === "SMB" ? "SMB band (< 200)" : segment === "Mid-Market" ? "Mid-Market band (200-999)" : "Enterprise band (1000+)"
  const sizeVerdict =
    employees < VERY_SMALL_TEAM
      ? "a very small team with little repetitive volume"
      : employees < 50
        ? "below the 50-5000 sweet spot"
        : employees <= 5000
          ? "inside the 50-5000 sweet spot"
          : "above the 50-5000 sweet spot, with longer buying cycles"
  const industryLabel = company.industry?.trim() ? clip(company.industry.trim(), 60) : null
  const industryReason =
    kind === "poor"
      ? `Industry "${industryLabel}" is outside the ICP (public sector, non-profit or hardware).`
      : kind === "unknown"
        ? industryLabel === null
          ? "No industry is given, so industry fit is unknown."
          : `Industry "${industryLabel}" is not one of the ICP's target sectors.`
        : `Industry "${industryLabel}" is a target sector with repetitive operational workflows.`

  const rationale: Array<{ reason: string; quote: string | null }> = [
    { reason: `${employees} employees: ${band}, ${sizeVerdict}.`, quote: null },
    { reason: industryReason, quote: null }
  ]
  if (!hasText) {
    rationale.push({ reason: "No website text was available, so the score rests on company fields only.", quote: null })
  } else if (parked) {
    rationale.push({ reason: "The website looks parked or like a placeholder, so it adds no evidence.", quote: quoteAround(text, parkedPage) })
  } else if (signals.length > 0) {
    const labels = signals.map(([label]) => label)
    rationale.push({
      reason: clip(`The website mentions ICP signals: ${labels.join(", ")}.`, 240),
      quote: quoteAround(text, signals[0]![1])
    })
  } else {
    rationale.push({ reason: "The website text shows none of the ICP's automation signals.", quote: null })
  }

  const confidence = !hasText || parked
    ? 0.3
    : thin
      ? 0.45
      : Math.min(0.8, 0.55 + 0.05 * signals.length) - (kind === "unknown" ? 0.1 : 0)

  const name = clip(company.companyName.replace(/\s+/g, " ").trim(), 80)
  return {
    icp_fit_score: score,
    segment,
    primary_use_case: useCases[kind],
    risk_flags: riskFlags.slice(0, 8),
    personalized_pitch: `${name}, CommonForge's AI automation platform can ${pitchTail[kind]}.`,
    score_rationale: rationale,
    confidence: Math.round(confidence * 100) / 100
  }
}
