import { Clock, Deferred, Effect, Exit, FiberId } from "effect"

type Outcome<A> = { readonly _tag: "Done"; readonly value: A } | { readonly _tag: "Abandoned" }

export interface KeyedMemoOptions<A, E> {
  /** How long a settled lookup is reused, by its exit (forever when absent); 0 or less: not kept once settled. */
  readonly ttlMs?: number | ((exit: Exit.Exit<A, E>) => number)
}

export interface KeyedMemo<A, E> {
  (key: string): Effect.Effect<A, E>
  /** Entries held, in flight or settled and not yet swept: what the tests check stays bounded. */
  readonly size: () => number
  readonly delete: (key: string) => void
}

const SWEEP_FLOOR = 1024

/**
 * Remembers `lookup` by key for its TTL, failures included, and runs it once for concurrent callers of the same
 * key. The first caller runs it in its own fiber, so a thousand callers fanned out at once each go as far as their
 * first request instead of all queueing behind forked lookups; should that caller be interrupted, the entry is
 * dropped and the callers waiting on it look up again. A plain Map: it is consulted on every request, and
 * effect's Cache costs several times more per hit. Expired entries are swept whenever the map has doubled since
 * the last sweep, so it holds about what is alive within the TTL, not every key ever seen.
 */
export const makeKeyedMemo = <A, E>(lookup: (key: string) => Effect.Effect<A, E>, options: KeyedMemoOptions<A, E> = {}): KeyedMemo<A, E> => {
  interface Entry {
    readonly result: Deferred.Deferred<Outcome<A>, E>
    expiresAt: number
    /** The lookup's exit once known: what later callers get without awaiting anything. */
    settled?: Exit.Exit<A, E>
  }
  const entries = new Map<string, Entry>()
  let sweepAt = SWEEP_FLOOR
  const ttlOf = (exit: Exit.Exit<A, E>) =>
    options.ttlMs === undefined ? Number.POSITIVE_INFINITY : typeof options.ttlMs === "number" ? options.ttlMs : options.ttlMs(exit)

  const sweep = (now: number) => {
    for (const [key, entry] of entries) if (entry.settled && entry.expiresAt <= now) entries.delete(key)
    sweepAt = Math.max(SWEEP_FLOOR, 2 * entries.size)
  }

  const memo = (key: string): Effect.Effect<A, E> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const entry = entries.get(key)
      if (entry && entry.expiresAt > now) {
        if (entry.settled) return entry.settled
        return Effect.flatMap(Deferred.await(entry.result), (outcome) =>
          outcome._tag === "Done" ? Effect.succeed(outcome.value) : memo(key)
        )
      }
      if (entries.size >= sweepAt) sweep(now)
      const result = Deferred.unsafeMake<Outcome<A>, E>(FiberId.none)
      const mine: Entry = { result, expiresAt: Number.POSITIVE_INFINITY }
      entries.set(key, mine)
      return lookup(key).pipe(
        Effect.onExit((exit) => {
          if (Exit.isInterrupted(exit)) {
            if (entries.get(key) === mine) entries.delete(key)
            return Deferred.succeed(result, { _tag: "Abandoned" })
          }
          mine.settled = exit
          return Effect.flatMap(Clock.currentTimeMillis, (settledAt) => {
            const ttl = ttlOf(exit)
            mine.expiresAt = settledAt + ttl
            if (ttl <= 0 && entries.get(key) === mine) entries.delete(key)
            return Deferred.done(result, Exit.map(exit, (value): Outcome<A> => ({ _tag: "Done", value })))
          })
        })
      )
    })
  return Object.assign(memo, {
    size: () => entries.size,
    delete: (key: string) => void entries.delete(key)
  })
}
