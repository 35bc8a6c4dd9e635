import { Effect, Option } from "effect"
import { DatabaseConfig } from "../config/DatabaseConfig.js"
import { ClusterError } from "./ClusterError.js"

/** DATABASE_URL, which distributed mode needs: runners on other machines cannot reach the embedded database. */
export const requireDatabaseServer = (who: string) =>
  Effect.flatMap(DatabaseConfig, (config) =>
    Option.match(config.url, {
      onSome: Effect.succeed,
      onNone: () =>
        new ClusterError({
          reason: "NeedsServer",
          message: `${who} needs DATABASE_URL: the Postgres server the submitter and every runner share (the embedded database listens on this machine's loopback only)`
        })
    })
  )
