import { Clock, Deferred, Effect, Exit, FiberId } from "effect"

type Outcome<A> = { readonly _tag: "Done"; readonly value: A } | { readonly _tag: "Abandoned" }

/**
 * Remembers `lookup` by key for `ttlMs` (forever when absent), failures included, and runs it once for
 * concurrent callers of the same key. The first caller runs it in its own fiber, so a thousand callers fanned
 * out at once each go as far as their first request instead of all queueing behind forked lookups; should
 * that caller be interrupted, the entry is dropped and the callers waiting on it look up again. A plain Map:
 * it is consulted on every request, and effect's Cache costs several times more per hit.
 */
export const makeKeyedMemo = <A, E>(lookup: (key: string) => Effect.Effect<A, E>, options: { readonly ttlMs?: number } = {}) => {
  interface Entry {
    readonly result: Deferred.Deferred<Outcome<A>, E>
    readonly expiresAt: number
    /** The lookup's exit once known: what later callers get without awaiting anything. */
    settled?: Exit.Exit<A, E>
  }
  const entries = new Map<string, Entry>()
  const memo = (key: string): Effect.Effect<A, E> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const entry = entries.get(key)
      if (entry && entry.expiresAt > now) {
        if (entry.settled) return entry.settled
        return Effect.flatMap(Deferred.await(entry.result), (outcome) =>
          outcome._tag === "Done" ? Effect.succeed(outcome.value) : memo(key)
        )
      }
      const result = Deferred.unsafeMake<Outcome<A>, E>(FiberId.none)
      const mine: Entry = { result, expiresAt: options.ttlMs === undefined ? Number.POSITIVE_INFINITY : now + options.ttlMs }
      entries.set(key, mine)
      return lookup(key).pipe(
        Effect.onExit((exit) => {
          if (Exit.isInterrupted(exit)) {
            if (entries.get(key) === mine) entries.delete(key)
            return Deferred.succeed(result, { _tag: "Abandoned" })
          }
          mine.settled = exit
          return Deferred.done(result, Exit.map(exit, (value): Outcome<A> => ({ _tag: "Done", value })))
        })
      )
    })
  return memo
}
