import * as cheerio from "cheerio"

export interface ExtractedText {
  readonly title: string
  readonly description: string
  readonly text: string
}

/** Placeholder until the density-scoring extractor lands: all visible text minus obvious boilerplate. */
export const extractText = (html: string, options: { readonly maxLength: number }): ExtractedText => {
  const $ = cheerio.load(html)
  const title = $("title").first().text().replace(/\s+/g, " ").trim()
  const description = ($('meta[name="description"]').attr("content") ?? "").replace(/\s+/g, " ").trim()
  $("script,style,noscript,template,svg,iframe,nav,header,footer").remove()
  let text = $("body").text().replace(/\s+/g, " ").trim()
  if (options.maxLength > 0 && text.length > options.maxLength) text = text.slice(0, options.maxLength)
  return { title, description, text }
}
