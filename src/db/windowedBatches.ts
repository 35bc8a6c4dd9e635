import { SqlClient } from "@effect/sql"
import { Deferred, Duration, Effect, Exit, FiberId, FiberSet, Option, type Scope } from "effect"
import { SqlBatching } from "./SqlBatching.js"

/**
 * Single-input calls from any fiber gathered into one batch: the first call of a batch opens a window
 * (SqlBatching), and the batch goes when the window closes or the batch is full. `run` answers a batch with one
 * exit per input, in order; its defect or interruption is every call's.
 *
 * A call inside a transaction runs alone on the caller's fiber: a batch runs on a fiber of its own, outside the
 * transaction, where it would miss (or wait on the locks of) what the transaction wrote.
 *
 * A wall-clock timer and one deferred per call, rather than Effect's request machinery (a dataLoader over a
 * request resolver): that cost a fiber-ref update and several fibers per call, a fifth more CPU in the pipeline
 * bench. The window is wall-clock time on purpose: under a test clock that nobody advances it would never close.
 */
export const windowedBatches = <I, A, E>(
  run: (inputs: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<Exit.Exit<A, E>>>
): Effect.Effect<(input: I) => Effect.Effect<A, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { maxBatchSize, window } = yield* SqlBatching
    const windowMs = Duration.toMillis(window)
    const fork = yield* FiberSet.makeRuntime<never>()
    let inputs: Array<I> = []
    let waiting: Array<Deferred.Deferred<A, E>> = []
    let timer: ReturnType<typeof setTimeout> | undefined

    const settle = (deferreds: ReadonlyArray<Deferred.Deferred<A, E>>) => (exit: Exit.Exit<ReadonlyArray<Exit.Exit<A, E>>>) => {
      for (let i = 0; i < deferreds.length; i++) {
        const own = Exit.isSuccess(exit) ? exit.value[i] : (exit as Exit.Exit<never>)
        const missing = () => Exit.die(new Error(`a batch of ${deferreds.length} calls answered ${Exit.isSuccess(exit) ? exit.value.length : 0}`))
        Deferred.unsafeDone(deferreds[i]!, own ?? missing())
      }
    }

    const flush = () => {
      clearTimeout(timer)
      timer = undefined
      const batch = inputs
      const deferreds = waiting
      inputs = []
      waiting = []
      // Settled even when the scope's end interrupts the batch, so no caller waits for ever.
      fork(Effect.uninterruptibleMask((restore) => Effect.map(Effect.exit(restore(run(batch))), settle(deferreds))))
    }

    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        clearTimeout(timer)
        for (const deferred of waiting) Deferred.unsafeDone(deferred, Exit.interrupt(FiberId.none))
      })
    )

    const batched = (input: I) =>
      Effect.suspend(() => {
        const deferred = Deferred.unsafeMake<A, E>(FiberId.none)
        inputs.push(input)
        waiting.push(deferred)
        if (inputs.length >= maxBatchSize) flush()
        else if (timer === undefined) timer = setTimeout(flush, windowMs)
        return Deferred.await(deferred)
      })

    const alone = (input: I) => Effect.flatMap(run([input]), (exits) => exits[0]!)

    return (input: I) =>
      Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
        Option.isSome(transaction) ? alone(input) : batched(input)
      )
  })
