import { extractText } from "./src/stages/scrape/extractText.js"
import { parseHtml } from "./src/stages/scrape/parseHtml.js"
const n = Number(process.argv[2] ?? 100000)
const html = "<html><body><main>" + "<div><span>".repeat(n) + "deep text" + "</span></div>".repeat(n) + "</main></body></html>"
for (let k = 0; k < 3; k++) {
let t = performance.now(); const c0 = process.cpuUsage()
parseHtml(html)
const p = performance.now() - t; const c1 = process.cpuUsage(c0)
t = performance.now()
const r = extractText(html, { maxLength: 3000 })
const c2 = process.cpuUsage(c0); console.log("parse", p.toFixed(0), "cpu", ((c1.user+c1.system)/1000).toFixed(0), "extract wall", (performance.now() - t).toFixed(0), "cpu total", ((c2.user+c2.system)/1000).toFixed(0))
}
