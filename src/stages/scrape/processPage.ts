import { sanitizeText } from "../../schema/sanitizeText.js"
import { decodeHtml } from "./decodeHtml.js"
import { decompressBody } from "./decompressBody.js"
import { extractText } from "./extractText.js"
import { findExtraPages } from "./findExtraPages.js"

/** A fetched page's body and what to make of it; plain data, so that it can cross to a worker thread. */
export interface PageInput {
  /** The URL that answered (links resolve against it). */
  readonly url: string
  readonly bytes: Uint8Array
  readonly contentType: string | undefined
  /** From Content-Type; undefined when the server sent none (then the body must look like HTML). */
  readonly mediaType: string | undefined
  readonly contentEncoding: string | undefined
  readonly maxBytes: number
  readonly maxTextLength: number
  /** Title and description lead the text (the homepage). */
  readonly withHeadline: boolean
  /** How many extra-page links to pick from it (SCRAPER_EXTRA_PAGES for the homepage, else 0). */
  readonly extraPages: number
}

export type PageOutput =
  | { readonly _tag: "Page"; readonly text: string; readonly links: ReadonlyArray<string> }
  | { readonly _tag: "Unusable"; readonly reason: "TooLarge" | "DecodeError" | "NotHtml" | "ExtractionTimeout" | "Unknown"; readonly message: string }

const looksLikeHtml = (text: string) => /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html|head|body)\b/i.test(text)

/** The page's extracted parts as one text: the title and description only when the body does not repeat them. */
const pageText = (html: string, maxLength: number, withHeadline: boolean) => {
  const { title, description, text } = extractText(html, { maxLength })
  if (!withHeadline) return text
  const parts: Array<string> = []
  for (const part of [title, description]) {
    const trimmed = part.trim()
    if (trimmed !== "" && !text.includes(trimmed) && !parts.includes(trimmed)) parts.push(trimmed)
  }
  return [...parts, text].join("\n")
}

/**
 * Content-Encoding and charset undone, then the text kept (as Postgres can store it: a page's U+0000 or stray
 * control characters never reach the database) and the links worth following.
 */
export const processPage = (input: PageInput): PageOutput => {
  const body = decompressBody(input.bytes, input.contentEncoding, input.maxBytes)
  if (body._tag === "TooLarge") return { _tag: "Unusable", reason: "TooLarge", message: `${input.url} is larger than ${input.maxBytes} bytes` }
  if (body._tag === "Invalid") return { _tag: "Unusable", reason: "DecodeError", message: `${input.url}: ${body.message}` }
  const html = decodeHtml(body.bytes, input.contentType).text
  if (input.mediaType === undefined && !looksLikeHtml(html)) {
    return { _tag: "Unusable", reason: "NotHtml", message: `${input.url} has no Content-Type and does not look like HTML` }
  }
  return {
    _tag: "Page",
    text: sanitizeText(pageText(html, input.maxTextLength, input.withHeadline)),
    links: findExtraPages(html, input.url, input.extraPages)
  }
}
