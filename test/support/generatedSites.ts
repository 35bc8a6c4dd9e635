import type { FixtureResponse, FixtureSite } from "./fixtureSites.js"

/** `site-0001.example`, `site-0002.example`, ... */
export const generatedDomain = (index: number) => `site-${String(index).padStart(4, "0")}.example`

const products = [
  ["route planning", "logistics teams", "Logistics"],
  ["invoice automation", "finance departments", "Financial Services"],
  ["patient scheduling", "clinics and hospitals", "Healthcare"],
  ["inventory forecasting", "retail chains", "Retail"],
  ["predictive maintenance", "factories", "Manufacturing"],
  ["customer support automation", "software companies", "Software"]
] as const

const cities = ["Austin", "Berlin", "Lyon", "Toronto", "Manchester", "Utrecht", "Denver", "Munich"]

const html = (body: string): FixtureResponse => ({
  status: 200,
  headers: { "content-type": "text/html; charset=utf-8" },
  body
})

const layout = (name: string, title: string, main: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<meta name="description" content="${name} helps teams work faster with software they actually enjoy.">
<link rel="stylesheet" href="/assets/site.css"><link rel="icon" href="/favicon.ico">
<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag("js",new Date());gtag("config","G-XXXX");</script>
<style>.hero{padding:4rem 0}.cookie{position:fixed;bottom:0}.grid{display:grid;grid-template-columns:repeat(3,1fr)}</style>
</head><body>
<div class="cookie-banner" role="dialog"><p>We use cookies to improve your experience. <a href="/privacy">Privacy policy</a></p><button>Accept all</button><button>Reject</button></div>
<header class="site-header"><a class="logo" href="/">${name}</a>
<nav class="main-nav"><ul>
<li><a href="/platform">Platform</a></li><li><a href="/pricing">Pricing</a></li><li><a href="/customers">Customers</a></li>
<li><a href="/about">About us</a></li><li><a href="/blog">Blog</a></li><li><a href="/careers">Careers</a></li>
<li><a href="/contact">Contact</a></li><li><a href="https://app.${name.toLowerCase().replace(/\s+/g, "")}.example/login">Log in</a></li>
</ul></nav></header>
<main>${main}</main>
<footer class="site-footer"><div class="grid">
<div><h4>Product</h4><ul><li><a href="/platform">Platform</a></li><li><a href="/integrations">Integrations</a></li><li><a href="/security">Security</a></li></ul></div>
<div><h4>Company</h4><ul><li><a href="/about">About</a></li><li><a href="/careers">Careers</a></li><li><a href="/press">Press</a></li></ul></div>
<div><h4>Legal</h4><ul><li><a href="/privacy">Privacy</a></li><li><a href="/terms">Terms</a></li><li><a href="/imprint">Imprint</a></li></ul></div>
</div><p>&copy; 2025 ${name}. All rights reserved.</p></footer>
<script src="/assets/app.js" defer></script>
</body></html>`

/**
 * The website of `site-N.example` (and `www.site-N.example`): a company homepage with the usual furniture
 * (cookie banner, navigation, footer, scripts) around real content, an about page, a platform page, a
 * robots.txt. Deterministic in N. Any other host is unknown (the fixture server answers 404).
 */
export const generatedSite = (host: string): FixtureSite | undefined => {
  const match = /^(?:www\.)?site-(\d+)\.example$/.exec(host)
  if (!match) return undefined
  const n = Number(match[1])
  const [product, audience, industry] = products[n % products.length]!
  const city = cities[n % cities.length]!
  const name = `Company ${n}`
  const employees = [12, 85, 240, 640, 1500, 12000][n % 6]!
  const home = layout(
    name,
    `${name} | ${product[0]!.toUpperCase()}${product.slice(1)} for ${audience}`,
    `<section class="hero"><h1>${product[0]!.toUpperCase()}${product.slice(1)} for ${audience}</h1>
<p>${name} gives ${audience} one place to plan, automate and measure ${product}. Connect the tools you already use
and let the platform take over the repetitive work.</p><a class="button" href="/contact">Book a demo</a></section>
<section class="features"><h2>Why teams choose ${name}</h2>
<div class="grid">
<article><h3>Automate the busywork</h3><p>Rules and machine learning handle the routine steps of ${product}, so your people
focus on exceptions. Customers report cutting manual data entry by more than half within three months.</p></article>
<article><h3>Integrates with your stack</h3><p>Native connectors for Salesforce, HubSpot, SAP, NetSuite and Slack, plus a
documented REST API and webhooks for everything else.</p></article>
<article><h3>Enterprise ready</h3><p>SOC 2 Type II, single sign-on, audit logs and data residency in the EU and the US.
Role-based access keeps every team to its own data.</p></article>
</div></section>
<section class="testimonial"><blockquote>"${name} paid for itself in the first quarter. Our ${industry.toLowerCase()} operations have never
run this smoothly." <cite>Head of Operations, a ${industry} company</cite></blockquote></section>
<section class="stats"><p>${(n % 9) + 1}00+ customers in ${(n % 20) + 5} countries. ${employees} employees. Headquartered in ${city}.</p></section>`
  )
  const about = layout(
    name,
    `About ${name}`,
    `<article><h1>About ${name}</h1><p>${name} was founded in ${2005 + (n % 18)} in ${city} by engineers who spent a
decade doing ${product} by hand. Today ${employees} people work on making ${audience} more productive.</p>
<p>We are backed by leading investors and profitable since ${2015 + (n % 9)}. Our customers range from ten-person
teams to global enterprises in ${industry.toLowerCase()}.</p></article>`
  )
  const platform = layout(
    name,
    `The ${name} platform`,
    `<article><h1>The platform</h1><p>Workflows, integrations and dashboards for ${product}. Build an automation in minutes
with the visual editor, test it against last month's data, and roll it out to every team.</p>
<ul><li>Visual workflow builder</li><li>200+ integrations</li><li>Real-time dashboards and alerts</li></ul></article>`
  )
  return {
    routes: {
      "/robots.txt": { status: 200, headers: { "content-type": "text/plain" }, body: "User-agent: *\nDisallow: /admin\nDisallow: /cart\n" },
      "/": html(home),
      "/about": html(about),
      "/platform": html(platform)
    }
  }
}

/** The host whose homepage is 100,000 nested `<div><span>` (2.4 MB): the scrape bench's one hostile page. */
export const DEEP_SITE = "deep-0000.example"

let deepPage: string | undefined

/** generatedSite, plus DEEP_SITE. */
export const generatedSiteWithDeepPage = (host: string): FixtureSite | undefined => {
  if (host !== DEEP_SITE) return generatedSite(host)
  deepPage ??= `<!doctype html><html><head><title>Deep</title></head><body><main>${"<div><span>".repeat(100_000)}Deep content.${"</span></div>".repeat(100_000)}</main></body></html>`
  return { routes: { "/robots.txt": { status: 200, headers: { "content-type": "text/plain" }, body: "User-agent: *\nAllow: /\n" }, "/": html(deepPage) } }
}
