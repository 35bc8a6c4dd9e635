import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Scope } from "effect"
import { SqlBatching } from "../src/db/SqlBatching.js"
import { windowedBatches } from "../src/db/windowedBatches.js"

const window = Effect.provideService(SqlBatching, { window: "20 millis", maxBatchSize: 100 })

describe("windowedBatches", () => {
  it.live("calls within one window share a batch, answered in call order; a full batch goes without waiting", () =>
    Effect.gen(function* () {
      const batches: Array<ReadonlyArray<number>> = []
      const call = yield* windowedBatches((inputs: ReadonlyArray<number>) =>
        Effect.sync(() => {
          batches.push(inputs)
          return inputs.map((n) => (n < 0 ? Exit.fail(`negative ${n}`) : Exit.succeed(n * 10)))
        })
      ).pipe(window)
      const exits = yield* Effect.forEach([1, -2, 3], (n) => Effect.exit(call(n)), { concurrency: "unbounded" })
      expect(exits).toEqual([Exit.succeed(10), Exit.fail("negative -2"), Exit.succeed(30)])
      expect(batches).toEqual([[1, -2, 3]])

      const full = yield* windowedBatches((inputs: ReadonlyArray<number>) => {
        batches.push(inputs)
        return Effect.succeed(inputs.map(Exit.succeed))
      }).pipe(Effect.provideService(SqlBatching, { window: "1 hour", maxBatchSize: 2 }))
      expect(yield* Effect.all([full(7), full(8)], { concurrency: "unbounded" })).toEqual([7, 8])
      expect(batches.at(-1)).toEqual([7, 8])
    }).pipe(Effect.scoped))

  it.live("a defect of the batch is every call's", () =>
    Effect.gen(function* () {
      const call = yield* windowedBatches((_: ReadonlyArray<string>) => Effect.die("broken")).pipe(window)
      const exits = yield* Effect.forEach(["a", "b"], (s) => Effect.exit(call(s)), { concurrency: "unbounded" })
      for (const exit of exits) expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    }).pipe(Effect.scoped))

  it.live("the end of the scope settles the calls of a batch in flight and of one not yet sent", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const started = yield* Deferred.make<void>()
      const hanging = yield* windowedBatches((_: ReadonlyArray<number>) => Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)).pipe(
        Effect.provideService(SqlBatching, { window: "1 millis", maxBatchSize: 100 }),
        Scope.extend(scope)
      )
      const waiting = yield* windowedBatches((_: ReadonlyArray<number>) => Effect.never).pipe(
        Effect.provideService(SqlBatching, { window: "1 hour", maxBatchSize: 100 }),
        Scope.extend(scope)
      )
      const inFlight = yield* Effect.fork(hanging(1))
      const unsent = yield* Effect.fork(waiting(2))
      yield* Deferred.await(started)
      yield* Scope.close(scope, Exit.void)
      const exits = yield* Effect.all([Fiber.await(inFlight), Fiber.await(unsent)]).pipe(Effect.timeout("2 seconds"))
      for (const exit of exits) expect(Exit.isInterrupted(exit)).toBe(true)
    }))
})
