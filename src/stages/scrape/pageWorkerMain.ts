import * as fs from "node:fs"
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

/** This thread's id on Linux (`/proc/thread-self` links to `PID/task/TID`), for the pool to read its CPU time. */
const threadId = (): number | undefined => {
  try {
    const tid = Number(fs.readlinkSync("/proc/thread-self").split("/").pop())
    return Number.isInteger(tid) && tid > 0 ? tid : undefined
  } catch {
    return undefined
  }
}

/** Entry of a page worker thread (PagePool.ts): ready with its thread id, then one message in, one answer out. */
parentPort!.on("message", ({ id, input }: { id: number; input: PageInput }) => {
  let output: PageOutput
  try {
    output = processPage(input)
  } catch (cause) {
    output = { _tag: "Unusable", reason: "Unknown", message: `${input.url}: processing failed: ${String(cause)}` }
  }
  parentPort!.postMessage({ id, output })
})
// Once through every module before the first page, whose CPU budget should not pay for loading and compiling them.
processPage({
  url: "https://warm-up.invalid/",
  bytes: new TextEncoder().encode('<html><head><title>t</title></head><body><nav><a href="/about">About</a></nav><main><p>warm up</p></main></body></html>'),
  contentType: "text/html; charset=utf-8",
  mediaType: "text/html",
  contentEncoding: undefined,
  maxBytes: 10_000,
  maxTextLength: 100,
  withHeadline: true,
  extraPages: 1
})
parentPort!.postMessage({ ready: true, tid: threadId() })
