import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Exit, Fiber } from "effect"
import iconv from "iconv-lite"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as zlib from "node:zlib"
import { blockedRange, firstBlocked } from "../src/stages/scrape/addressGuard.js"
import { classifyTransportError } from "../src/stages/scrape/classifyTransportError.js"
import { allocateBudget, combinePageTexts, truncateText } from "../src/stages/scrape/combinePageTexts.js"
import { decodeHtml, encodingForLabel } from "../src/stages/scrape/decodeHtml.js"
import { decompressBody } from "../src/stages/scrape/decompressBody.js"
import { findExtraPages, linksOf } from "../src/stages/scrape/findExtraPages.js"
import { type PageInput, processPage } from "../src/stages/scrape/processPage.js"
import { makePagePool } from "../src/stages/scrape/PagePool.js"
import { parseDocument } from "htmlparser2"
import { parseHtml } from "../src/stages/scrape/parseHtml.js"
import { readRobotsText } from "../src/stages/scrape/readRobotsText.js"
import { makeKeyedMemo } from "../src/stages/scrape/makeKeyedMemo.js"
import { makePinnedDispatcher } from "../src/stages/scrape/pinnedDispatcher.js"
import { parseRobots, userAgentTokens } from "../src/stages/scrape/RobotsRules.js"
import { isRetryable, ScrapeError } from "../src/stages/scrape/ScrapeError.js"
import { homepageCandidates } from "../src/stages/scrape/homepageCandidates.js"
import { hostName } from "../src/schema/hostName.js"
import { makeDnsResolver } from "../src/stages/scrape/makeDnsResolver.js"
import { startFakeDnsServer } from "./support/fakeDnsServer.js"
import { HostResolver } from "../src/stages/scrape/HostResolver.js"
import { parseRetryAfter } from "../src/stages/scrape/scrapeRetrySchedule.js"

const UA = "CommonForge Lead Scorer/1.0"

describe("address guard", () => {
  it("lets only public unicast addresses through", () => {
    for (const address of ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"]) {
      expect(blockedRange(address)).toBeNull()
    }
    const blocked = {
      "127.0.0.1": "loopback",
      "127.255.0.9": "loopback",
      "10.0.0.1": "private",
      "172.16.5.4": "private",
      "192.168.1.1": "private",
      "169.254.169.254": "linkLocal",
      "100.64.0.1": "carrierGradeNat",
      "224.0.0.251": "multicast",
      "0.0.0.0": "unspecified",
      "255.255.255.255": "broadcast",
      "192.0.2.10": "reserved",
      "240.0.0.1": "reserved",
      "::1": "loopback",
      "::": "unspecified",
      "fe80::1": "linkLocal",
      "fd12:3456::1": "uniqueLocal",
      "ff02::1": "multicast",
      "2001:db8::1": "reserved",
      "64:ff9b::a00:1": "rfc6052",
      "2002:a00:1::1": "6to4"
    }
    for (const [address, range] of Object.entries(blocked)) {
      expect(blockedRange(address), address).toContain(range)
    }
  })

  it("judges IPv4-mapped IPv6 as the IPv4 address inside", () => {
    expect(blockedRange("::ffff:127.0.0.1")).toBe("ipv4 loopback")
    expect(blockedRange("::ffff:169.254.169.254")).toBe("ipv4 linkLocal")
    expect(blockedRange("::ffff:8.8.8.8")).toBeNull()
  })

  it("refuses a name when any of its addresses is special", () => {
    expect(firstBlocked(["8.8.8.8", "10.1.2.3"])).toEqual({ address: "10.1.2.3", range: "ipv4 private" })
    expect(firstBlocked(["8.8.8.8", "1.1.1.1"])).toBeUndefined()
    expect(blockedRange("not-an-ip")).toBe("invalid")
  })
})

describe("decodeHtml", () => {
  const page = (charsetMeta: string, body: string) => `<html><head>${charsetMeta}<title>t</title></head><body>${body}</body></html>`

  it("decodes ISO-8859-1 as windows-1252, from the Content-Type header", () => {
    const bytes = iconv.encode(page("", "Société Générale – “quoted”"), "windows-1252")
    const { text, encoding } = decodeHtml(bytes, "text/html; charset=ISO-8859-1")
    expect(encoding).toBe("windows-1252")
    expect(text).toContain("Société Générale – “quoted”")
  })

  it("decodes Shift_JIS declared only in <meta>", () => {
    const bytes = iconv.encode(page(`<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">`, "株式会社テスト"), "shift_jis")
    expect(decodeHtml(bytes, "text/html").text).toContain("株式会社テスト")
    const short = iconv.encode(page(`<meta charset="shift_jis">`, "日本語のページ"), "shift_jis")
    expect(decodeHtml(short, undefined).text).toContain("日本語のページ")
  })

  it("prefers a byte-order mark, then the header, then <meta>; sniffs UTF-8 otherwise", () => {
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(page(`<meta charset="iso-8859-1">`, "Zürich"))])
    expect(decodeHtml(utf8, "text/html; charset=iso-8859-1").text).toContain("Zürich")
    expect(decodeHtml(Buffer.from(page("", "Zürich")), "text/html").text).toContain("Zürich")
    expect(decodeHtml(iconv.encode(page("", "Zürich"), "latin1"), "text/html").text).toContain("Zürich")
    expect(decodeHtml(Buffer.from(page(`<meta charset="bogus-charset">`, "Zürich")), undefined).text).toContain("Zürich")
  })

  it("maps labels to decoders", () => {
    expect(encodingForLabel("ISO-8859-1")).toBe("windows-1252")
    expect(encodingForLabel("\"utf-8\"")).toBe("utf-8")
    expect(encodingForLabel("x-sjis")).toBe("cp932")
    expect(encodingForLabel("euc-jp")).toBe("euc-jp")
    expect(encodingForLabel("nonsense")).toBeUndefined()
  })
})

describe("decompressBody", () => {
  const text = Buffer.from("<html>hello</html>".repeat(100))

  it("undoes gzip, deflate (zlib or raw) and brotli", () => {
    for (const [coding, bytes] of [
      ["gzip", zlib.gzipSync(text)],
      ["deflate", zlib.deflateSync(text)],
      ["deflate", zlib.deflateRawSync(text)],
      ["br", zlib.brotliCompressSync(text)],
      ["identity", text],
      [undefined, text]
    ] as const) {
      const result = decompressBody(bytes, coding, 1_000_000)
      expect(result._tag, String(coding)).toBe("Ok")
      if (result._tag === "Ok") expect(Buffer.from(result.bytes).toString()).toBe(text.toString())
    }
  })

  it("stops a compression bomb at the size cap", () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50_000_000))
    expect(bomb.byteLength).toBeLessThan(100_000)
    expect(decompressBody(bomb, "gzip", 1_000_000)._tag).toBe("TooLarge")
    expect(decompressBody(zlib.brotliCompressSync(Buffer.alloc(5_000_000)), "br", 100_000)._tag).toBe("TooLarge")
  })

  it("reports garbage and unknown codings", () => {
    expect(decompressBody(Buffer.from("not gzip"), "gzip", 1000)._tag).toBe("Invalid")
    expect(decompressBody(text, "zstd", 1_000_000)._tag).toBe("Invalid")
  })
})

describe("robots.txt", () => {
  it("reads our group by product token, else *", () => {
    expect(userAgentTokens(UA)).toEqual(["commonforge lead scorer", "commonforge", "commonforgeleadscorer"])
    const ours = parseRobots("https://a.test/robots.txt", "User-agent: *\nAllow: /\n\nUser-agent: CommonForge\nDisallow: /private\nCrawl-delay: 2", UA)
    expect(ours.isAllowed("https://a.test/")).toBe(true)
    expect(ours.isAllowed("https://a.test/private/x")).toBe(false)
    expect(ours.crawlDelaySeconds).toBe(2)
    const star = parseRobots("https://a.test/robots.txt", "User-agent: *\nDisallow: /\n\nUser-agent: otherbot\nAllow: /", UA)
    expect(star.isAllowed("https://a.test/")).toBe(false)
    const other = parseRobots("https://a.test/robots.txt", "User-agent: otherbot\nDisallow: /", UA)
    expect(other.isAllowed("https://a.test/")).toBe(true)
    expect(other.crawlDelaySeconds).toBeUndefined()
  })
})

describe("findExtraPages", () => {
  const home = `<html><head><base href="/"></head><body><nav>
    <a href="/blog/2024/01/02/post">Blog</a>
    <a href="/pricing">Pricing</a>
    <a href="mailto:hi@acme.test">Mail</a>
    <a href="https://other.test/about">Other about</a>
    <a href="/company/about-us">About us</a>
    <a href="/brochure.pdf">Products PDF</a>
    <a href="https://shop.acme.test/products">Shop</a>
    <a href="/solutions#top">Solutions</a>
    <a href="/solutions">Solutions again</a>
    <a href="/">Home</a>
    <a href="/en/customers">Customers</a>
    <a href="/x">What we do</a>
  </nav></body></html>`

  it("picks same-site about / product / pricing / customers pages, best kind first, one per kind first", () => {
    expect(findExtraPages(home, "https://www.acme.test/", 2)).toEqual(["https://www.acme.test/company/about-us", "https://www.acme.test/solutions"])
    expect(findExtraPages(home, "https://www.acme.test/", 5)).toEqual([
      "https://www.acme.test/company/about-us",
      "https://www.acme.test/solutions",
      "https://www.acme.test/pricing",
      "https://www.acme.test/en/customers",
      "https://www.acme.test/x"
    ])
    expect(findExtraPages(home, "https://www.acme.test/", 0)).toEqual([])
    expect(findExtraPages("<p>no links</p>", "https://acme.test/", 2)).toEqual([])
  })
})

describe("makeKeyedMemo", () => {
  it.effect("runs a lookup once for concurrent callers, remembers failures too", () =>
    Effect.gen(function* () {
      const calls: Array<string> = []
      const gate = yield* Deferred.make<void>()
      const memo = makeKeyedMemo((key) =>
        Effect.zipRight(
          Effect.zipRight(Effect.sync(() => calls.push(key)), Deferred.await(gate)),
          key === "bad" ? Effect.fail(`no ${key}`) : Effect.succeed(key.toUpperCase())
        )
      )
      const fibers = yield* Effect.forEach(["a", "a", "bad", "a", "bad"], (k) => Effect.fork(Effect.either(memo(k))))
      yield* Deferred.succeed(gate, undefined)
      const results = yield* Effect.forEach(fibers, Fiber.join)
      expect(results).toEqual([Either.right("A"), Either.right("A"), Either.left("no bad"), Either.right("A"), Either.left("no bad")])
      expect(yield* Effect.either(memo("bad"))).toEqual(Either.left("no bad"))
      expect(yield* memo("a")).toBe("A")
      expect(calls).toEqual(["a", "bad"])
    }))

  it.effect("lets the waiting callers look up again when the caller running the lookup is interrupted", () =>
    Effect.gen(function* () {
      let calls = 0
      const memo = makeKeyedMemo((key) => Effect.zipRight(Effect.sync(() => calls++), calls === 0 ? Effect.never : Effect.succeed(key)))
      const first = yield* Effect.fork(memo("k"))
      yield* Effect.yieldNow()
      const second = yield* Effect.fork(memo("k"))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(first)
      expect(yield* Fiber.await(second)).toEqual(Exit.succeed("k"))
      expect(calls).toBe(2)
    }))
})

describe("linksOf", () => {
  it("finds links and their texts past comments, scripts and odd markup, in one forward scan", () => {
    const html = `<base href="/en/"><!-- <a href="/commented">x</a> --><script>var s = '<a href="/scripted">'</script>
      <A HREF='/about?x=1&amp;y=2' class=nav>About <b>us</b></A><a name=anchor>no href</a><a href=/plain>Plain</a>
      <a href="/unclosed">Unclosed <a title='>' href="/quoted">Quoted &eacute;</a><style>a{}</style><a href="/last">Last`
    expect(linksOf(html)).toEqual({
      baseHref: "/en/",
      links: [
        { href: "/about?x=1&y=2", text: "About  us " },
        { href: "/plain", text: "Plain" },
        { href: "/unclosed", text: "Unclosed " },
        { href: "/quoted", text: "Quoted é" },
        { href: "/last", text: "Last" }
      ]
    })
    expect(linksOf(`<a href="/x">x</a><!-- never closed <a href="/y">y</a>`).links.map((l) => l.href)).toEqual(["/x"])
    expect(linksOf(`<script>${"<a href=/z>".repeat(5)}`).links).toEqual([])
  })
})

describe("processPage", () => {
  const input = (body: string | Uint8Array, extra: Partial<PageInput> = {}): PageInput => ({
    url: "https://acme.test/",
    bytes: typeof body === "string" ? Buffer.from(body) : body,
    contentType: "text/html; charset=utf-8",
    mediaType: "text/html",
    contentEncoding: undefined,
    maxBytes: 100_000,
    maxTextLength: 3000,
    withHeadline: true,
    extraPages: 2,
    ...extra
  })
  const home = `<html><head><title>Acme Robotics</title><meta name="description" content="Robots for warehouses"></head>
    <body><nav><a href="/about">About</a><a href="/pricing">Pricing</a></nav><main><p>Acme builds picking robots.</p></main></body></html>`

  it("decodes, extracts the text (headline first on the homepage) and picks the extra pages", () => {
    const page = processPage(input(zlib.gzipSync(home), { contentEncoding: "gzip" }))
    expect(page._tag).toBe("Page")
    if (page._tag !== "Page") return
    expect(page.text.startsWith("Acme Robotics\nRobots for warehouses\n")).toBe(true)
    expect(page.text).toContain("Acme builds picking robots.")
    expect(page.links).toEqual(["https://acme.test/about", "https://acme.test/pricing"])
    const extra = processPage(input(home, { withHeadline: false, extraPages: 0 }))
    expect(extra).toMatchObject({ _tag: "Page", links: [] })
    if (extra._tag === "Page") expect(extra.text.startsWith("Acme Robotics")).toBe(false)
  })

  it("says why a body is unusable", () => {
    expect(processPage(input("%PDF-1.7 ...", { contentType: undefined, mediaType: undefined }))).toMatchObject({ _tag: "Unusable", reason: "NotHtml" })
    expect(processPage(input(home, { contentType: undefined, mediaType: undefined }))._tag).toBe("Page")
    expect(processPage(input("not gzip", { contentEncoding: "gzip" }))).toMatchObject({ _tag: "Unusable", reason: "DecodeError" })
    expect(processPage(input(zlib.gzipSync(Buffer.alloc(500_000, 32)), { contentEncoding: "gzip" }))).toMatchObject({
      _tag: "Unusable",
      reason: "TooLarge"
    })
  })

  it.scoped("gives the same answer from the page workers", () =>
    Effect.gen(function* () {
      const pool = yield* makePagePool({ workers: 2, budgetMs: 60_000 })
      const latin = iconv.encode(home.replace("Acme builds", "Société Générale builds"), "latin1")
      const inputs = [input(home), input(latin, { contentType: "text/html; charset=iso-8859-1" }), input("plain text", { mediaType: undefined })]
      const answers = yield* Effect.forEach(inputs, pool.run, { concurrency: "unbounded" })
      expect(answers).toEqual(inputs.map(processPage))
      expect(pool.status()).toBe("running")
      expect(pool.workers()).toBeLessThanOrEqual(2)
      expect(answers[1]!._tag === "Page" && answers[1]!.text).toContain("Société Générale builds")
    }))

  it.scoped("abandons a page past its CPU budget, replaces its worker and goes on", () =>
    Effect.gen(function* () {
      const pool = yield* makePagePool({ workers: 1, budgetMs: 10 })
      const huge = `<main>${"<p>A paragraph of ordinary words about logistics software.</p>".repeat(60_000)}</main>`
      const abandoned = yield* pool.run(input(huge, { maxBytes: 10_000_000 }))
      expect(abandoned).toMatchObject({ _tag: "Unusable", reason: "ExtractionTimeout" })
      expect(isRetryable("ExtractionTimeout", null)).toBe(false)
      const generous = yield* makePagePool({ workers: 1, budgetMs: 60_000 })
      expect(yield* generous.run(input(home))).toEqual(processPage(input(home)))
      expect(pool.workers()).toBeLessThanOrEqual(1)
    }))

  it("keeps no character Postgres cannot store", () => {
    const page = processPage(input("<main><p>Logistics SaaS\u0000platform with APIs.\u0007</p></main>"))
    expect(page).toMatchObject({ _tag: "Page" })
    if (page._tag === "Page") {
      expect(page.text).toBe("Logistics SaaSplatform with APIs.")
      expect(page.text).not.toMatch(/[\u0000-\u0008]/)
    }
  })
})

describe("parseHtml", () => {
  it("parses 100,000 nested elements into a tree as deep, with the text at the bottom", () => {
    const depth = 100_000
    const root = parseHtml(`<main>${"<div><span>".repeat(depth)}deep text${"</span></div>".repeat(depth)}<p>after</p></main>`)
    type Node = { name?: string; data?: string; children?: Array<Node> }
    let node = (root as unknown as Node).children![0]!
    let levels = 0
    while (node.children?.[0]?.name === "div") {
      node = node.children[0]!.children![0]!
      levels++
    }
    expect(levels).toBe(depth)
    expect(node.children?.[0]?.data).toBe("deep text")
    expect((root as unknown as Node).children![0]!.children!.at(-1)!.name).toBe("p")
  })

  it("builds the same tree as htmlparser2 itself: implied ends, stray end tags, unclosed elements, SVG", () => {
    type Node = { type: string; name?: string; data?: string; children?: Array<Node> }
    const shape = (node: Node): unknown =>
      node.type === "text" ? node.data : { [node.name ?? node.type]: (node.children ?? []).map(shape) }
    for (const html of [
      "<ul><li>one<li>two</ul></span></div><p>a<p>b<div><b>open",
      "<table><tr><td>1<td>2<tr><td>3</table><select><option>a<option>b</select>",
      "<svg><path/><circle></circle></svg><p>after svg<br/>line</p><math><mi>x</mi></math>",
      "<div><span><div></span>text</div></div></div></p><dl><dt>t<dd>d</dl>"
    ]) {
      expect(shape(parseHtml(html) as unknown as Node), html).toEqual(shape(parseDocument(html, { decodeEntities: true }) as unknown as Node))
    }
  })
})

describe("domains", () => {
  it("accepts host names only and lists the candidate origins", () => {
    expect(hostName(" Acme.COM. ")).toBe("acme.com")
    expect(hostName("münchen.de")).toBe("xn--mnchen-3ya.de")
    expect(hostName("acme.test")).toBe("acme.test")
    expect(hostName("127.0.0.1")).toBe("127.0.0.1")
    expect(hostName("::1")).toBe("::1")
    expect(hostName("acme.com/path")).toBeUndefined()
    expect(hostName("acme.com:8080")).toBeUndefined()
    expect(hostName("user@acme.com")).toBeUndefined()
    expect(hostName("two words.com")).toBeUndefined()
    expect(hostName("")).toBeUndefined()
    expect(homepageCandidates("acme.com")).toEqual(["https://acme.com/", "https://www.acme.com/", "http://acme.com/", "http://www.acme.com/"])
    expect(homepageCandidates("www.acme.com")).toEqual(["https://www.acme.com/", "http://www.acme.com/"])
  })
})

describe("HostResolver", () => {
  const dnsOptions = { concurrency: 4, timeoutMs: 1500, maxTtlMs: 60_000, negativeTtlMs: 60_000 }

  it.scoped("resolves by DNS (A and AAAA), literals as themselves, and says what the name server answered", () =>
    Effect.gen(function* () {
      const server = yield* startFakeDnsServer((name) => {
        if (name === "acme.test") return { rcode: "NOERROR", addresses: ["93.184.216.34", "2606:2800:220:1::248"] }
        if (name === "v4only.test") return { rcode: "NOERROR", addresses: ["93.184.216.35"] }
        if (name === "apex.test") return { rcode: "NOERROR" }
        if (name === "broken.test") return { rcode: "SERVFAIL" }
        if (name === "silent.test") return "drop"
        return { rcode: "NXDOMAIN" }
      })
      const dns = yield* makeDnsResolver({ ...dnsOptions, servers: [server.address] })
      expect([...(yield* dns.resolve("acme.test"))].sort()).toEqual(["2606:2800:220:1::248", "93.184.216.34"])
      expect(yield* dns.resolve("v4only.test")).toEqual(["93.184.216.35"])
      expect(yield* dns.resolve("::1")).toEqual(["::1"])
      expect(yield* Effect.flip(dns.resolve("gone.test"))).toMatchObject({ reason: "DnsFailure", dns: "NXDOMAIN", retryable: false })
      expect(yield* Effect.flip(dns.resolve("apex.test"))).toMatchObject({ reason: "DnsFailure", dns: "NODATA" })
      expect(yield* Effect.flip(dns.resolve("broken.test"))).toMatchObject({ reason: "DnsFailure", dns: "SERVFAIL" })
      expect(yield* Effect.flip(dns.resolve("silent.test"))).toMatchObject({ reason: "Timeout", dns: "TIMEOUT", retryable: true })
    }))

  it.scoped("asks each name once for the run, failures included, and a timed-out one again", () =>
    Effect.gen(function* () {
      const server = yield* startFakeDnsServer((name) =>
        name === "silent.test" ? "drop" : name === "acme.test" ? { rcode: "NOERROR", addresses: ["93.184.216.34"] } : { rcode: "NXDOMAIN" }
      )
      const dns = yield* makeDnsResolver({ ...dnsOptions, timeoutMs: 300, servers: [server.address] })
      const asked = (name: string) => server.queries().filter((q) => q.name === name && q.type === "A").length
      yield* Effect.forEach(["acme.test", "acme.test", "gone.test", "gone.test"], (n) => Effect.either(dns.resolve(n)), { concurrency: "unbounded" })
      yield* Effect.forEach(["acme.test", "gone.test"], (n) => Effect.either(dns.resolve(n)))
      expect([asked("acme.test"), asked("gone.test")]).toEqual([1, 1])
      yield* Effect.either(dns.resolve("silent.test"))
      yield* Effect.either(dns.resolve("silent.test"))
      expect(asked("silent.test")).toBe(2)
      expect(dns.cachedNames()).toBe(2)
    }))

  it.scoped("keeps to its own bound of lookups in flight", () =>
    Effect.gen(function* () {
      const server = yield* startFakeDnsServer(() => ({ rcode: "NXDOMAIN", delayMs: 50 }))
      const dns = yield* makeDnsResolver({ ...dnsOptions, concurrency: 3, servers: [server.address] })
      const names = Array.from({ length: 12 }, (_, i) => `dead${i}.test`)
      const failures = yield* Effect.forEach(names, (n) => Effect.flip(dns.resolve(n)), { concurrency: "unbounded" })
      expect(failures.every((f) => f.dns === "NXDOMAIN")).toBe(true)
      expect(server.peakInFlight()).toBe(3)
    }))

  it.effect("sends every name to SCRAPER_CONNECT_TO's host", () =>
    Effect.gen(function* () {
      const resolver = yield* HostResolver
      expect(yield* resolver.resolve("any-site.example")).toEqual(["127.0.0.1"])
      expect(yield* resolver.resolve("10.0.0.1")).toEqual(["127.0.0.1"])
    }).pipe(Effect.provide(HostResolver.ConnectTo({ host: "127.0.0.1", port: 8080 }, 2000))))

  it.effect("resolves SCRAPER_CONNECT_TO's host by the system (localhost included)", () =>
    Effect.gen(function* () {
      const resolver = yield* HostResolver
      expect(yield* resolver.resolve("any-site.example")).toContain("127.0.0.1")
    }).pipe(Effect.provide(HostResolver.ConnectTo({ host: "localhost", port: 8080 }, 2000))))
})

describe("robots.txt body", () => {
  it.effect("reads the first bytes only, compressed or not, and what a truncated stream holds", () =>
    Effect.gen(function* () {
      const big = "User-agent: *\nDisallow: /\n" + "# filler\n".repeat(1_000_000)
      expect(yield* readRobotsText(new TextEncoder().encode(big), undefined, 1000)).toBe(big.slice(0, 1000))
      const gzipped = zlib.gzipSync(big)
      expect(yield* readRobotsText(gzipped, "gzip", 1000)).toBe(big.slice(0, 1000))
      expect(yield* readRobotsText(zlib.brotliCompressSync(big), "br", 1000)).toBe(big.slice(0, 1000))
      const cut = (yield* readRobotsText(gzipped.subarray(0, 200), "gzip", 100_000)).slice(0, 26)
      expect(cut).toBe("User-agent: *\nDisallow: /\n")
      expect(yield* Effect.flip(readRobotsText(new Uint8Array([1, 2, 3]), "gzip", 1000))).toContain("cannot decode")
    }))
})

describe("pinned dispatcher", () => {
  it.scopedLive("connects a name only to the addresses pinned for it", () =>
    Effect.gen(function* () {
      const server = http.createServer((_, res) => res.end("pinned ok"))
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
        () => Effect.sync(() => { server.closeAllConnections(); server.close() })
      )
      const port = (server.address() as AddressInfo).port
      const pins = new Map<string, ReadonlyArray<string>>()
      const client = NodeHttpClient.makeUndici(yield* makePinnedDispatcher(pins, { connectTimeoutMs: 2000 }))
      const get = (host: string) =>
        client.get(`http://${host}:${port}/`).pipe(Effect.flatMap((r) => r.text), Effect.scoped, Effect.either)

      const unpinned = yield* get("pinned.test")
      expect(Either.isLeft(unpinned) && classifyTransportError(unpinned.left, "u").reason).toBe("BlockedAddress")
      pins.set("pinned.test", ["127.0.0.1"])
      expect(yield* get("pinned.test")).toEqual(Either.right("pinned ok"))
      pins.set("other.test", ["::1", "127.0.0.1"])
      const dualStack = yield* get("other.test")
      // Either family may win the race; what matters is that only pinned addresses are tried.
      expect(Either.isRight(dualStack) || classifyTransportError(dualStack.left, "u").reason === "ConnectionRefused").toBe(true)
    }))
})
