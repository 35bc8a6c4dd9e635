import * as fs from "node:fs"
import { type FixtureSite, html, htmlPage } from "./fixtureSites.js"

const industries = ["Software", "Logistics", "Financial Services", "Healthcare", "Retail", "Manufacturing"]
const countries = ["US", "United Kingdom", "Germany", "France", "USA", "Canada"]

export const companyDomain = (i: number) => `co-${String(i).padStart(5, "0")}.com`

/** A CSV of `count` companies with domains co-00001.com…, spread over segments, industries and countries. */
export const writeCompaniesCsv = (file: string, count: number, from = 1) => {
  const lines = ["company_name,domain,country,employee_count,industry_raw"]
  for (let i = from; i < from + count; i++) {
    const employees = [12, 85, 240, 640, 1500, 12000][i % 6]!
    lines.push(`Company ${i},https://www.${companyDomain(i)}/,${countries[i % countries.length]},${employees},${industries[i % industries.length]}`)
  }
  fs.writeFileSync(file, lines.join("\n") + "\n")
  return file
}

const about =
  "We build an AI automation platform for operations teams: workflows, integrations with your CRM and ERP, " +
  "and dashboards that show where time goes. Customers in logistics and finance cut manual data entry by half. "

/** The website of every `co-N.com`: a homepage and an about page. */
export const companySite = (host: string): FixtureSite | undefined => {
  const match = /^co-(\d+)\.com$/.exec(host)
  if (!match) return undefined
  return {
    routes: {
      "/": html(
        htmlPage({
          title: `Company ${Number(match[1])}`,
          description: "Automation for growing teams",
          body: about.repeat(3),
          links: [["/about", "About us"]]
        })
      ),
      "/about": html(htmlPage({ title: "About", body: `Founded in 2011 by engineers. ${about}` }))
    }
  }
}
