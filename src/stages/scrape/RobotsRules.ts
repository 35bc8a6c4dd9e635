import robotsParserModule from "robots-parser"

// The package's types declare an ES default export, but it is CommonJS: the import itself is the function.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default

export interface RobotsRules {
  readonly isAllowed: (url: string) => boolean
  /** Seconds asked between requests, for our group (or `*`). */
  readonly crawlDelaySeconds: number | undefined
}

export const allowAll: RobotsRules = { isAllowed: () => true, crawlDelaySeconds: undefined }

/**
 * Names a robots.txt group may use for us, most specific first: robots-parser looks a group up by exact
 * (lower-cased, version-stripped) name, and sites write `CommonForge` as often as the full product name.
 */
export const userAgentTokens = (userAgent: string): ReadonlyArray<string> => {
  const product = userAgent.split("/")[0]!.trim().toLowerCase()
  const firstWord = product.split(/\s+/)[0] ?? product
  return [...new Set([product, firstWord, product.replace(/[^a-z0-9_-]/g, "")])].filter((t) => t !== "")
}

const groupNames = (text: string) =>
  new Set(
    [...text.matchAll(/^\s*user-agent\s*:\s*([^#\r\n]*)/gim)].map((m) => m[1]!.split("/")[0]!.trim().toLowerCase())
  )

/** robots.txt served at `robotsUrl`, read for our User-Agent (falling back to the `*` group). */
export const parseRobots = (robotsUrl: string, text: string, userAgent: string): RobotsRules => {
  const robots = robotsParser(robotsUrl, text)
  const names = groupNames(text)
  const token = userAgentTokens(userAgent).find((t) => names.has(t)) ?? "*"
  const delay = robots.getCrawlDelay(token)
  return {
    // undefined: a URL of another origin, which this file does not govern.
    isAllowed: (url) => robots.isAllowed(url, token) ?? true,
    crawlDelaySeconds: typeof delay === "number" && Number.isFinite(delay) && delay > 0 ? delay : undefined
  }
}
