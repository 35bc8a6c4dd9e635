/**
 * `pnpm bench score`: how well the offline scorer ranks a list without website text. 5,000 generated companies
 * with industry labels drawn as Y Combinator, Inc. 5000 and LinkedIn exports spell them, log-spread head counts
 * and mixed countries, scored by the ICP-driven scorer and by the previous rubric (heuristic-v1, kept in
 * bench/_heuristicV1.ts as the baseline): distinct scores, ties at the top, and the share of labels matched.
 */
import { Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { scoreHeuristically } from "../src/stages/enrich/heuristicScore.js"
import { parseIcpProfile } from "../src/stages/enrich/IcpProfile.js"
import { industryTaxonomy } from "../src/stages/enrich/IndustryTaxonomy.js"
import { industryKind, scoreHeuristically as scoreV1 } from "./_heuristicV1.js"

const COMPANIES = Number(process.argv.find((a) => a.startsWith("--companies="))?.split("=")[1] ?? 5000)
const TARGET_DISTINCT = 40

const here = path.dirname(fileURLToPath(import.meta.url))
const icp = Either.getOrThrowWith(parseIcpProfile(fs.readFileSync(path.join(here, "../data/icp.md"), "utf8"), "data/icp.md"), (m) => new Error(m)).structure

/** A tiny deterministic PRNG so the list is the same on every run. */
const prng = (seed: number) => () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0
  return ((seed ^ (seed >>> 12)) >>> 0) / 2 ** 32
}
const random = prng(16)
type Weighted<A> = ReadonlyArray<readonly [A, number]>
const pick = <A>(choices: Weighted<A>): A => {
  const total = choices.reduce((sum, [, w]) => sum + w, 0)
  let at = random() * total
  for (const [value, weight] of choices) if ((at -= weight) < 0) return value
  return choices[choices.length - 1]![0]
}

// Shares as in the lists of issue 16 (YC: B2B 2,939 of 5,849) and the public directories' category counts.
const ycLabels: Weighted<string> = [
  ["B2B", 50], ["Consumer", 12], ["Healthcare", 11], ["Fintech", 10], ["Industrials", 6], ["Education", 3],
  ["Real Estate and Construction", 3], ["Government", 1], ["B2B -> Infrastructure", 2], ["B2B -> Engineering, Product and Design", 2]
]
const incLabels: Weighted<string> = [
  ["Business Products & Services", 11], ["Advertising & Marketing", 9], ["Health", 8], ["Software", 8], ["Construction", 6],
  ["IT Management", 6], ["Financial Services", 6], ["Consumer Products & Services", 6], ["Human Resources", 5],
  ["Logistics & Transportation", 4], ["Real Estate", 4], ["Retail", 4], ["Manufacturing", 4], ["Engineering", 3],
  ["Food & Beverage", 3], ["Government Services", 3], ["Security", 2], ["Insurance", 2], ["Energy", 2], ["Education", 2],
  ["Media", 2], ["Telecommunications", 1], ["Travel & Hospitality", 1], ["Environmental Services", 1], ["Computer Hardware", 1]
]
const linkedInLabels: Weighted<string> = [
  ["Software Development", 14], ["IT Services and IT Consulting", 12], ["Financial Services", 8], ["Hospitals and Health Care", 8],
  ["Staffing and Recruiting", 6], ["Truck Transportation", 4], ["Retail", 5], ["Non-profit Organizations", 4],
  ["Government Administration", 3], ["Marketing Services", 5], ["Robotic Process Automation", 1], ["Technology, Information and Internet", 6]
]
const messyLabels: Weighted<string> = [
  ["", 4], ["N/A", 1], ["Stealth", 1], ["Other", 2], ["Deep Tech", 1], ["Climate", 1], ["SaaS; Fintech", 1], ["Fintech / Payments", 1], ["Bakery", 1]
]
const countries: Weighted<string | null> = [
  ["United States", 50], ["USA", 6], ["Canada", 5], ["United Kingdom", 5], ["Germany", 4], ["India", 5], ["France", 3],
  ["Brazil", 2], ["Singapore", 2], ["Spain", 2], ["Nigeria", 1], ["Remote", 2], [null, 5]
]
const syllables = ["ac", "me", "flo", "ra", "zen", "tri", "ko", "vo", "lu", "sta", "qui", "nex", "or", "bi", "ta"]
const suffixes: Weighted<string> = [["", 60], [" AI", 8], [" Labs", 6], [" Pay", 4], [" Logistics", 3], [" Health", 4], [" Foundation", 2], [" Software", 5], [" Automation", 2], [" Church", 1], [" Group", 5]]

const companies = Array.from({ length: COMPANIES }, (_, i) => {
  const source = pick<Weighted<string>>([[ycLabels, 45], [incLabels, 35], [linkedInLabels, 15], [messyLabels, 5]])
  const base = Array.from({ length: 2 + Math.floor(random() * 2) }, () => syllables[Math.floor(random() * syllables.length)]).join("")
  const companyName = `${base[0]!.toUpperCase()}${base.slice(1)}${pick(suffixes)}`
  return {
    companyName,
    domain: `${companyName.toLowerCase().replace(/[^a-z]+/g, "")}${i}.com`,
    country: pick(countries),
    // Log-spread from 1 to 50,000, as company lists are.
    employeeCount: Math.max(1, Math.round(Math.exp(random() * Math.log(50_000)))),
    industry: pick(source),
    websiteText: null
  }
})

const distinct = (scores: ReadonlyArray<number>) => new Set(scores).size
const topTies = (scores: ReadonlyArray<number>) => {
  const max = Math.max(...scores)
  return scores.filter((s) => s === max).length
}

const labelled = companies.filter((c) => c.industry.trim() !== "")
const v1Scores = companies.map((c) => scoreV1({ ...c, industry: c.industry === "" ? null : c.industry }).icp_fit_score)
const v1Matched = labelled.filter((c) => industryKind(c.industry) !== "unknown").length
const v2Scores = companies.map((c) => scoreHeuristically({ ...c, industry: c.industry === "" ? null : c.industry }, icp).icp_fit_score)
const v2Matched = labelled.filter((c) => industryTaxonomy.match(c.industry, icp).recognized).length

const share = (n: number) => `${((100 * n) / labelled.length).toFixed(1)}%`
console.log(`${COMPANIES} generated companies without website text; ${labelled.length} with an industry label (YC, Inc. 5000, LinkedIn and messy spellings)`)
console.log(`                  distinct scores  tied at the top  labels matched`)
console.log(`baseline (v1)     ${String(distinct(v1Scores)).padStart(15)}  ${String(topTies(v1Scores)).padStart(15)}  ${share(v1Matched).padStart(14)}`)
console.log(`ICP-driven (v2)   ${String(distinct(v2Scores)).padStart(15)}  ${String(topTies(v2Scores)).padStart(15)}  ${share(v2Matched).padStart(14)}`)
console.log(
  `ratio to baseline: distinct scores ${(distinct(v2Scores) / distinct(v1Scores)).toFixed(2)}×, labels matched ${(v2Matched / Math.max(1, v1Matched)).toFixed(2)}×`
)
const unmatched = new Map<string, number>()
for (const c of labelled) if (!industryTaxonomy.match(c.industry, icp).recognized) unmatched.set(c.industry, (unmatched.get(c.industry) ?? 0) + 1)
if (unmatched.size > 0) console.log(`labels the taxonomy does not know: ${[...unmatched].sort((a, b) => b[1] - a[1]).map(([l, n]) => `${l} (${n})`).join(", ")}`)
const pass = distinct(v2Scores) >= TARGET_DISTINCT
console.log(`${pass ? "PASS" : "FAIL"}: ${distinct(v2Scores)} distinct scores (target ≥ ${TARGET_DISTINCT})`)
if (!pass) process.exitCode = 1
