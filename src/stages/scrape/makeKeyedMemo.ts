import { Clock, Deferred, Effect, FiberId, type Scope } from "effect"

/**
 * Remembers `lookup` by key for `ttlMs` (forever when absent), failures included, and runs it once for
 * concurrent callers of the same key. The lookup runs in a fiber of the given scope, so a caller that gives
 * up (timeout, interruption) does not leave the others waiting on a lookup that never ends. A plain Map:
 * it is consulted on every request, and effect's Cache costs several times more per hit.
 */
export const makeKeyedMemo = <A, E>(
  scope: Scope.Scope,
  lookup: (key: string) => Effect.Effect<A, E>,
  options: { readonly ttlMs?: number } = {}
) => {
  const entries = new Map<string, { readonly result: Deferred.Deferred<A, E>; readonly expiresAt: number }>()
  return (key: string): Effect.Effect<A, E> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const entry = entries.get(key)
      if (entry && entry.expiresAt > now) return Deferred.await(entry.result)
      const result = Deferred.unsafeMake<A, E>(FiberId.none)
      entries.set(key, { result, expiresAt: options.ttlMs === undefined ? Number.POSITIVE_INFINITY : now + options.ttlMs })
      return lookup(key).pipe(
        Effect.exit,
        Effect.flatMap((exit) => Deferred.done(result, exit)),
        Effect.forkIn(scope),
        Effect.zipRight(Deferred.await(result))
      )
    })
}
