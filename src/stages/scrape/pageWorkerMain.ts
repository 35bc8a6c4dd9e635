import * as os from "node:os"
import { parentPort } from "node:worker_threads"

if (process.env.E_NICE) os.setPriority(Number(process.env.E_NICE))
import { type PageInput, type PageOutput, processPage } from "./processPage.js"

/** Entry of the page worker thread (runPage.ts): one message in, one answer out, by id. */
parentPort!.on("message", ({ id, input }: { id: number; input: PageInput }) => {
  let output: PageOutput
  try {
    output = processPage(input)
  } catch (cause) {
    output = { _tag: "Unusable", reason: "Unknown", message: `${input.url}: processing failed: ${String(cause)}` }
  }
  parentPort!.postMessage({ id, output })
})
