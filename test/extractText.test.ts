import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import { extractText } from "../src/stages/scrape/extractText.js"
import { naiveExtractText } from "../bench/_naiveExtractText.js"
import { wordF1, wordTokens } from "../bench/_wordF1.js"
import { readWcxbPage, wcxbAvailable, wcxbIds } from "./support/wcxbDataset.js"

const fixture = (name: string) => fs.readFileSync(new URL(`./fixtures/html/${name}`, import.meta.url), "utf8")

const textOf = (body: string, head = "") =>
  extractText(`<!doctype html><html><head>${head}</head><body>${body}</body></html>`, { maxLength: 0 }).text

const lines = (text: string) => text.split("\n")

describe("extractText on a SaaS homepage", () => {
  const page = extractText(fixture("saas-home.html"), { maxLength: 0 })

  it("returns the title and meta description, entities decoded, apart from the text", () => {
    expect(page.title).toBe("Fleetwise – Route planning for delivery fleets")
    expect(page.description).toBe("Fleetwise plans delivery routes for fleets of 10 to 5,000 vans & trucks.")
    expect(page.text).not.toContain("Route planning for delivery fleets")
  })

  it("keeps the main content, one block per line", () => {
    expect(lines(page.text).slice(0, 2)).toEqual([
      "Plan delivery routes in minutes, not hours",
      "Fleetwise builds optimal routes for fleets of 10 to 5,000 vehicles, taking time windows, vehicle capacity and driver shifts into account."
    ])
    expect(lines(page.text)).toContain("Trusted by 1,200 logistics teams")
    expect(lines(page.text)).toContain("Our solver cuts driven kilometres by 18% on average compared with hand-made routes, even with hundreds of stops.")
  })

  it("keeps cards whose link wraps a whole paragraph", () => {
    for (const heading of ["Route optimisation", "Live dispatch", "Proof of delivery"]) expect(lines(page.text)).toContain(heading)
  })

  it("puts a table row on one line", () => {
    expect(lines(page.text)).toContain("Plan Vehicles Price")
    expect(lines(page.text)).toContain("Starter up to 10 €49 per vehicle per month")
  })

  it("keeps hidden tab panels and collapsed FAQ answers, which are content", () => {
    expect(page.text).toContain("Parcel carriers balance thousands of stops per depot")
    expect(lines(page.text)).toContain("Can I import orders from my ERP?")
    expect(page.text).toContain("Fleetwise reads orders from SAP, Odoo and CSV files every five minutes.")
  })

  it("drops the cookie banner, announcement bar, header, menus, popup, hidden promo, form and footer", () => {
    for (const boilerplate of [
      "cookies",
      "Accept all",
      "Series B",
      "Skip to main content",
      "Log in",
      "About us",
      "Live dispatch\nProof of delivery",
      "Wait! Get 20% off",
      "Black Friday",
      "Subscribe",
      "fleet management tips",
      "Careers",
      "Harbour Street",
      "All rights reserved"
    ]) {
      expect(page.text).not.toContain(boilerplate)
    }
  })

  it("drops calls to action that are a lone link or a button-styled link", () => {
    expect(page.text).not.toContain("Start free trial")
    expect(page.text).not.toContain("Book a demo")
    expect(page.text).not.toContain("Learn more")
  })

  it("writes a line repeated by a responsive layout once", () => {
    expect(page.text.split("Our customers deliver 2.3 million parcels a month with Fleetwise.")).toHaveLength(2)
  })

  it("drops scripts, styles and structured data", () => {
    expect(page.text).not.toMatch(/dataLayer|#123456|Organization/)
  })
})

describe("extractText on a page of plain divs", () => {
  const page = extractText(fixture("plain-divs.html"), { maxLength: 0 })

  it("finds the meta description whatever the case of its name", () => {
    expect(page.title).toBe("Harbour Plumbing | Emergency plumber in Leeds")
    expect(page.description).toBe("24/7 emergency plumbing in Leeds")
  })

  it("keeps the article, inline links included", () => {
    expect(lines(page.text)).toEqual([
      "Boiler repair and servicing in Leeds",
      "Harbour Plumbing has repaired and serviced gas boilers across Leeds since 1998. Our Gas Safe engineers carry spare parts for Worcester, Vaillant and Baxi boilers, so most repairs are finished on the first visit.",
      "An annual service costs £85 and includes a full safety check, a flue gas analysis and a written report.",
      "Areas we cover",
      "We cover Headingley, Roundhay and the rest of Leeds within the ring road, with a two-hour response time for emergencies."
    ])
  })

  it("drops menus, breadcrumbs and link lists that carry no nav tag, by their link density", () => {
    for (const boilerplate of ["Reviews", "Radiators", "Bathrooms", "Sitemap", "Book a service", "Copyright", "0113"]) {
      expect(page.text).not.toContain(boilerplate)
    }
  })
})

describe("extractText rules", () => {
  it("reads a document nested 100,000 elements deep, furniture at the bottom included", () => {
    const depth = 100_000
    const html = `<html><head><title>Deep</title></head><body><main>${"<div><span>".repeat(depth)}` +
      `<p>Deep content about logistics software.</p><nav><a href="/a">Menu</a><a href="/b">Links</a></nav>` +
      `${"</span></div>".repeat(depth)}<p>After the deep part.</p></main></body></html>`
    expect(extractText(html, { maxLength: 0 })).toEqual({
      title: "Deep",
      description: "",
      text: "Deep content about logistics software.\nAfter the deep part."
    })
  })

  it("prefers main, then [role=main], then a dominant article", () => {
    const around = `<div class="intro"><p>Text beside the main content of the page, long enough to count for something here.</p></div>`
    expect(textOf(`${around}<main><p>The main content of this page is in here.</p></main>`)).toBe("The main content of this page is in here.")
    expect(textOf(`${around}<div role="main"><p>The main content of this page is in here.</p></div>`)).toBe(
      "The main content of this page is in here."
    )
    const article = `<article><h2>Case study</h2><p>${"Acme cut its delivery costs by a third in one year. ".repeat(4)}</p></article>`
    expect(textOf(`<div><p>Short aside text.</p></div>${article}`)).not.toContain("Short aside text")
  })

  it("ignores a main that holds little of the page's text", () => {
    const text = textOf(`<main><p>Hi.</p></main><div><p>${"The content of this site is outside its main element. ".repeat(5)}</p></div>`)
    expect(text).toContain("The content of this site is outside its main element.")
  })

  it("does not drop a page wrapper whose class looks like furniture", () => {
    expect(textOf(`<div class="menu"><main><p>Everything is inside a wrapper classed menu.</p></main></div>`)).toBe(
      "Everything is inside a wrapper classed menu."
    )
    expect(textOf(`<form id="aspnetForm"><div><p>Old ASP.NET pages wrap the whole body in a form.</p></div></form>`)).toBe(
      "Old ASP.NET pages wrap the whole body in a form."
    )
  })

  it("keeps a header inside the main content but drops the page header", () => {
    const text = textOf(
      `<header><a href="/">Logo</a><p>Free shipping over $50</p></header>` +
        `<main><header><h1>Warehouse robots</h1><p>Picking robots for mid-size warehouses.</p></header><p>Body text of the page.</p></main>`
    )
    expect(lines(text)).toEqual(["Warehouse robots", "Picking robots for mid-size warehouses.", "Body text of the page."])
  })

  it("drops hidden elements: hidden attribute, aria-hidden and inline display:none or visibility:hidden", () => {
    const text = textOf(
      `<p>Visible.</p><p hidden>Hidden attribute.</p><div aria-hidden="true">Aria hidden.</div>` +
        `<div style="color: red; display:none">Display none.</div><div style="visibility: hidden">Invisible.</div>`
    )
    expect(text).toBe("Visible.")
  })

  it("drops cookie banners by their consent-manager names and dialogs by role", () => {
    const text = textOf(
      `<div id="CybotCookiebotDialog"><p>This website uses cookies.</p></div>` +
        `<div class="cc-window"><p>We value your privacy.</p></div>` +
        `<div role="dialog"><p>Subscribe to our newsletter!</p></div><p>Our company builds bridges.</p>` +
        `<section class="trusted-by"><p>Trusted by 40 cities.</p></section>`
    )
    expect(lines(text)).toEqual(["Our company builds bridges.", "Trusted by 40 cities."])
  })

  it("drops a link-dense block but keeps a paragraph with a few links", () => {
    const text = textOf(
      `<div><a href="/a">Alpha</a> · <a href="/b">Beta</a> · <a href="/c">Gamma</a> · <a href="/d">Delta</a></div>` +
        `<p>We work with <a href="/a">Alpha Corp</a> and <a href="/b">Beta Ltd</a> on logistics software for retailers in Europe.</p>`
    )
    expect(text).toBe("We work with Alpha Corp and Beta Ltd on logistics software for retailers in Europe.")
  })

  it("keeps a list of links when the link texts are long, as in a list of documents", () => {
    const items = ["Building permit application form (PDF)", "Excavation permit application form (PDF)", "Temporary pool registration form (PDF)"]
    const text = textOf(`<h2>Permits and forms</h2><ul>${items.map((i) => `<li><a href="/f">${i}</a></li>`).join("")}</ul>`)
    expect(lines(text)).toEqual(["Permits and forms", ...items])
  })

  it("removes repeated lines, the first one staying", () => {
    const text = textOf(`<p>Fast setup.</p><p>Works offline.</p><p>Fast setup.</p><p>fast setup.</p>`)
    expect(lines(text)).toEqual(["Fast setup.", "Works offline."])
  })

  it("decodes named, numeric and non-breaking-space entities and collapses whitespace", () => {
    const text = textOf(`<p>Caf&eacute; &amp; cr&#232;me&nbsp;br&ucirc;l&eacute;e &#8212; &#x201C;Z&uuml;rich&#x201D;</p><p>  spread
      over    lines  </p>`)
    expect(lines(text)).toEqual(["Café & crème brûlée — “Zürich”", "spread over lines"])
  })

  it("ends a line at block elements and <br>, not at inline ones", () => {
    const text = textOf(`<div>First <b>bold</b> and <a href="/x">linked</a> words<br>after a break</div><ul><li>One</li><li>Two</li></ul>`)
    expect(lines(text)).toEqual(["First bold and linked words", "after a break", "One", "Two"])
  })

  it("places the parts a React streaming render sends late where they belong", () => {
    const text = textOf(
      `<main><h1>Deploy in seconds</h1><template id="B:0"></template><p>Last paragraph.</p></main>` +
        `<div hidden id="S:0"><p>Streamed paragraph about previews.</p></div>`
    )
    expect(lines(text)).toEqual(["Deploy in seconds", "Streamed paragraph about previews.", "Last paragraph."])
  })

  it("drops code samples but keeps other preformatted text", () => {
    const text = textOf(`<p>Call our API:</p><pre><code>curl https://api.example.com</code></pre><pre>Opening hours: 9-17</pre>`)
    expect(lines(text)).toEqual(["Call our API:", "Opening hours: 9-17"])
  })

  it("reads a fragment without html or body tags", () => {
    expect(extractText("<title>T</title><p>Just a paragraph.</p>", { maxLength: 0 })).toEqual({
      title: "T",
      description: "",
      text: "Just a paragraph."
    })
  })

  it("falls back to Open Graph for the title and description, and ignores SVG titles", () => {
    const page = extractText(
      `<html><head><meta property="og:title" content="OG title"><meta property="og:description" content="OG description"></head>` +
        `<body><svg><title>icon</title></svg><p>Body.</p></body></html>`,
      { maxLength: 0 }
    )
    expect(page).toEqual({ title: "OG title", description: "OG description", text: "Body." })
  })

  it("reads markup nested thousands deep without overflowing the stack", () => {
    const depth = 20_000
    const html = `<body>${"<div><span>".repeat(depth)}<p>Deep inside.</p>${"</span></div>".repeat(depth)}<p>After.</p></body>`
    expect(lines(extractText(html, { maxLength: 0 }).text)).toEqual(["Deep inside.", "After."])
  })

  it("gives empty strings for an empty page", () => {
    expect(extractText("", { maxLength: 100 })).toEqual({ title: "", description: "", text: "" })
  })
})

describe("extractText truncation", () => {
  const html = `<p>The quick brown fox jumps over the lazy dog.</p><p>Second paragraph here.</p>`

  it("cuts on a word boundary within maxLength", () => {
    const { text } = extractText(html, { maxLength: 22 })
    expect(text).toBe("The quick brown fox")
    expect(extractText(html, { maxLength: 19 }).text).toBe("The quick brown fox")
    expect(extractText(html, { maxLength: 18 }).text).toBe("The quick brown")
  })

  it("keeps the whole text when maxLength is 0 or larger than the text", () => {
    const full = "The quick brown fox jumps over the lazy dog.\nSecond paragraph here."
    expect(extractText(html, { maxLength: 0 }).text).toBe(full)
    expect(extractText(html, { maxLength: full.length }).text).toBe(full)
  })

  it("cuts through a single word longer than maxLength", () => {
    expect(extractText("<p>Supercalifragilistic</p>", { maxLength: 5 }).text).toBe("Super")
  })

  it("cuts text written without spaces at the limit rather than at the last space far before it", () => {
    const japanese = "株式会社テストは物流ロボットを開発しています。".repeat(10)
    const { text } = extractText(`<h1>Acme</h1><p>${japanese}</p>`, { maxLength: 100 })
    expect(text).toBe(`Acme\n${japanese.slice(0, 95)}`)
    expect(extractText(`<p>${"😀".repeat(10)}</p>`, { maxLength: 5 }).text).toBe("😀😀")
  })

  it("does not cap the title or the description", () => {
    const page = extractText(`<title>A rather long page title</title><p>Body text.</p>`, { maxLength: 4 })
    expect(page.title).toBe("A rather long page title")
    expect(page.text).toBe("Body")
  })
})

describe("naiveExtractText", () => {
  it("keeps all body text but script, style, nav, header and footer", () => {
    const text = naiveExtractText(
      `<html><head><title>T</title></head><body><header>Head</header><nav><a>Menu</a></nav><div class="cookie-banner">We use cookies</div>` +
        `<main><p>Content</p><script>var x</script><style>p{}</style></main><aside>Side</aside><footer>Foot</footer></body></html>`
    )
    expect(lines(text)).toEqual(["We use cookies", "Content", "Side"])
  })
})

describe("wordF1", () => {
  it("tokenises like Python's \\w+ on lowercased text", () => {
    expect(wordTokens("Hello, WORLD! don't snake_case 3.14 Zürich 東京都 naïve")).toEqual([
      "hello", "world", "don", "t", "snake_case", "3", "14", "zürich", "東京都", "naïve"
    ])
    // A combining accent is not a word character in Python: "e\u0301" splits.
    expect(wordTokens("cafe\u0301s")).toEqual(["cafe", "s"])
    expect(wordTokens("x² ½")).toEqual(["x²", "½"])
  })

  it("scores bags of words: order does not matter, repeats count", () => {
    expect(wordF1("b a", "a b")).toEqual({ precision: 1, recall: 1, f1: 1 })
    const score = wordF1("a a a b", "a b c d")
    expect(score.precision).toBeCloseTo(2 / 4)
    expect(score.recall).toBeCloseTo(2 / 4)
    expect(score.f1).toBeCloseTo(0.5)
    const partial = wordF1("alpha beta", "alpha beta gamma delta")
    expect(partial).toEqual({ precision: 1, recall: 0.5, f1: 2 / 3 })
    expect(wordF1("x y", "a b")).toEqual({ precision: 0, recall: 0, f1: 0 })
  })

  it("scores an empty reference 1 only for an empty prediction", () => {
    expect(wordF1("", "")).toEqual({ precision: 1, recall: 1, f1: 1 })
    expect(wordF1(" ... ", "—")).toEqual({ precision: 1, recall: 1, f1: 1 })
    expect(wordF1("something", "")).toEqual({ precision: 0, recall: 0, f1: 0 })
    expect(wordF1("", "something")).toEqual({ precision: 0, recall: 0, f1: 0 })
  })
})

// Snippets are compared with curly quotes, dashes and spaces normalised: the reviewers typed straight ones.
const normalise = (text: string) =>
  text
    .normalize("NFKC")
    .replace(/[‘’ʼ′]/g, "'")
    .replace(/[“”″]/g, '"')
    .replace(/[‐‑‒–—]/g, "-")
    .replace(/\s+/g, " ")
    .toLowerCase()

describe.skipIf(!wcxbAvailable())("extractText on WCXB service pages (../shared/datasets/wcxb-service-dev)", () => {
  it("finds most snippets the reviewers marked as content and few they marked as boilerplate, unlike the naive baseline", () => {
    const ids = wcxbIds().filter((_, index) => index % 8 === 0)
    const counts = { with: 0, withFound: 0, without: 0, withoutFound: 0, naiveWithoutFound: 0 }
    let f1 = 0
    let naiveF1 = 0
    for (const id of ids) {
      const page = readWcxbPage(id)
      const text = extractText(page.html, { maxLength: 0 }).text
      const naive = naiveExtractText(page.html)
      f1 += wordF1(text, page.mainContent).f1
      naiveF1 += wordF1(naive, page.mainContent).f1
      for (const snippet of page.with) {
        counts.with++
        if (normalise(text).includes(normalise(snippet))) counts.withFound++
      }
      for (const snippet of page.without) {
        counts.without++
        if (normalise(text).includes(normalise(snippet))) counts.withoutFound++
        if (normalise(naive).includes(normalise(snippet))) counts.naiveWithoutFound++
      }
    }
    expect(ids.length).toBeGreaterThanOrEqual(20)
    expect(counts.withFound / counts.with).toBeGreaterThanOrEqual(0.85)
    expect(counts.withoutFound / counts.without).toBeLessThanOrEqual(0.15)
    expect(counts.withoutFound).toBeLessThan(counts.naiveWithoutFound / 2)
    expect(f1 / ids.length).toBeGreaterThan(naiveF1 / ids.length)
  })
})
