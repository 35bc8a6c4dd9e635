import { extractText } from "./src/stages/scrape/extractText.js"
const n = 100000
const deep = "<html><body><main>" + "<div><span>".repeat(n) + "deep text" + "</span></div>".repeat(n) + "</main></body></html>"
const flat = "<html><body><main>" + "<div><span></span></div>".repeat(n) + "flat text</main></body></html>"
for (const [name, html] of [["flat", flat], ["deep", deep], ["flat", flat], ["deep", deep]] as const) {
  const t = performance.now()
  extractText(html, { maxLength: 3000 })
  console.log(name, (performance.now() - t).toFixed(0))
}
