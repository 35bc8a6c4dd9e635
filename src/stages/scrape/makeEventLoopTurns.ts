import { Effect } from "effect"

/**
 * Turns of the event loop, one caller per turn, each after the I/O that arrived meanwhile. A thousand scrapes
 * started at once would otherwise run their set-up back to back as one long burst of microtasks, during which
 * no request can go out and no response can be read.
 */
export const makeEventLoopTurns = () => {
  const waiting: Array<() => void> = []
  let scheduled = false

  // An immediate queued while immediates run waits for the next loop iteration, after the poll for I/O.
  const runOne = () => {
    const next = waiting.shift()
    if (waiting.length > 0) setImmediate(runOne)
    else scheduled = false
    next?.()
  }

  /** Resumes in a turn of its own; what follows it in the fiber runs there. */
  const turn: Effect.Effect<void> = Effect.async<void>((resume) => {
    let pending = true
    waiting.push(() => {
      if (pending) resume(Effect.void)
    })
    if (!scheduled) {
      scheduled = true
      setImmediate(runOne)
    }
    return Effect.sync(() => void (pending = false))
  })

  return { turn }
}
