import * as os from "node:os"
import { parentPort } from "node:worker_threads"
import { type PageInput, type PageOutput, processPage } from "./processPage.js"

// Parsing pages can wait, while the main thread paces every request and runs the other stages. Only on Linux,
// where a priority is per thread (elsewhere this would lower the whole process); lowering needs no privilege.
if (process.platform === "linux") {
  try {
    os.setPriority(10)
  } catch {
    // Not permitted in this sandbox: the thread keeps the default priority.
  }
}

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
