import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { fileURLToPath } from "node:url"
import { decodeHtml } from "../../src/stages/scrape/decodeHtml.js"

/**
 * The WCXB service-page development split (Web Content eXtraction Benchmark by Murrough Foley, 2026, CC-BY-4.0),
 * shared beside the repository; absent on most machines.
 */
export const wcxbDirectory = path.resolve(fileURLToPath(new URL("../..", import.meta.url)), "../shared/datasets/wcxb-service-dev")

export interface WcxbPage {
  readonly id: string
  readonly url: string
  readonly html: string
  readonly mainContent: string
  readonly with: ReadonlyArray<string>
  readonly without: ReadonlyArray<string>
}

export const wcxbAvailable = (): boolean => fs.existsSync(path.join(wcxbDirectory, "ground-truth"))

export const wcxbIds = (): ReadonlyArray<string> =>
  fs
    .readdirSync(path.join(wcxbDirectory, "ground-truth"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort()

export const readWcxbPage = (id: string): WcxbPage => {
  const truth = JSON.parse(fs.readFileSync(path.join(wcxbDirectory, "ground-truth", `${id}.json`), "utf8")) as {
    url: string
    ground_truth: { main_content: string | null; with?: Array<string> | null; without?: Array<string> | null }
  }
  const bytes = zlib.gunzipSync(fs.readFileSync(path.join(wcxbDirectory, "html", `${id}.html.gz`)))
  return {
    id,
    url: truth.url,
    html: decodeHtml(bytes, undefined).text,
    mainContent: truth.ground_truth.main_content ?? "",
    with: truth.ground_truth.with ?? [],
    without: truth.ground_truth.without ?? []
  }
}
