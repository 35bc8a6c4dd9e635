import { SqlClient } from "@effect/sql"
import { Duration, Effect, Schedule } from "effect"
import { PipelineError } from "./PipelineError.js"

export const RUN_LOCK_KEY = 7_301_245_882

/** One run at a time per database: a session advisory lock held on a reserved connection for the life of the scope. */
export const acquireRunLock = (options: { wait: boolean; pollEvery?: Duration.DurationInput }) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const connection = yield* sql.reserve
    const tryLock = connection
      .executeValues(`SELECT pg_try_advisory_lock(${RUN_LOCK_KEY})`, [])
      .pipe(Effect.map((rows) => rows[0]?.[0] === true))
    const held = new PipelineError({
      reason: "LockHeld",
      message: "another pipeline run holds the lock on this database; wait for it to finish, or pass --wait to queue behind it"
    })
    const locked = options.wait
      ? yield* tryLock.pipe(
          Effect.filterOrFail((ok) => ok, () => held),
          Effect.tapError(() => Effect.logInfo("waiting for the pipeline lock held by another run")),
          Effect.retry({ schedule: Schedule.spaced(options.pollEvery ?? "2 seconds"), while: (e) => e._tag === "PipelineError" })
        )
      : yield* tryLock
    if (!locked) return yield* held
    yield* Effect.addFinalizer(() =>
      connection.executeValues(`SELECT pg_advisory_unlock(${RUN_LOCK_KEY})`, []).pipe(Effect.ignore)
    )
  })
