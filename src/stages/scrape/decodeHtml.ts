import iconv from "iconv-lite"

/** Labels browsers decode as windows-1252 (its superset): 0x80-0x9F are curly quotes and dashes there. */
const windows1252 = new Set(["iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", "us-ascii", "ascii", "cp1252", "windows-1252", "x-cp1252", "cp819", "ibm819"])
const shiftJis = new Set(["shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "ms932", "cp932"])

/** A charset label mapped to the iconv-lite encoding that decodes it, or undefined when unknown. */
export const encodingForLabel = (label: string): string | undefined => {
  const name = label.trim().toLowerCase().replace(/^["']|["']$/g, "")
  if (name === "") return undefined
  if (windows1252.has(name)) return "windows-1252"
  // Browsers decode Shift_JIS labels as the Windows superset, which has the vendor extensions pages use.
  if (shiftJis.has(name)) return "cp932"
  if (name === "utf8" || name === "unicode-1-1-utf-8") return "utf-8"
  return iconv.encodingExists(name) ? name : undefined
}

export const charsetFromContentType = (contentType: string | undefined): string | undefined =>
  contentType ? /charset\s*=\s*["']?([^;"'\s]+)/i.exec(contentType)?.[1] : undefined

/** `<meta charset>` or `<meta http-equiv="Content-Type" content="...; charset=...">` in the first 4 KiB. */
export const charsetFromMeta = (bytes: Uint8Array): string | undefined => {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096)).toString("latin1")
  for (const tag of head.match(/<meta\b[^>]*>/gi) ?? []) {
    const direct = /\bcharset\s*=\s*["']?\s*([-\w.:]+)/i.exec(tag)
    if (direct?.[1]) return direct[1]
  }
  return undefined
}

const bomEncoding = (bytes: Uint8Array): { encoding: string; skip: number } | undefined => {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: "utf-8", skip: 3 }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: "utf-16be", skip: 2 }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: "utf-16le", skip: 2 }
  return undefined
}

const isUtf8 = (bytes: Uint8Array) => {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes)
    return true
  } catch {
    return false
  }
}

/**
 * The page's characters, as a browser would decode them: byte-order mark, then the Content-Type charset, then
 * `<meta charset>`, then UTF-8 when the bytes are valid UTF-8, else windows-1252.
 */
export const decodeHtml = (bytes: Uint8Array, contentType: string | undefined): { text: string; encoding: string } => {
  const bom = bomEncoding(bytes)
  if (bom) return { text: iconv.decode(Buffer.from(bytes.subarray(bom.skip)), bom.encoding), encoding: bom.encoding }
  const declared = [charsetFromContentType(contentType), charsetFromMeta(bytes)]
    .map((label) => (label === undefined ? undefined : encodingForLabel(label)))
    .find((encoding) => encoding !== undefined)
  const encoding = declared ?? (isUtf8(bytes) ? "utf-8" : "windows-1252")
  return { text: iconv.decode(Buffer.from(bytes), encoding), encoding }
}
