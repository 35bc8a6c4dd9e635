import { Config } from "effect"
import * as ConfigValue from "./ConfigValue.js"

export const DatabaseConfig = Config.all({
  /** Absent: the embedded PostgreSQL on the data directory `dataDir`, shared by every local process. */
  url: ConfigValue.optionalSecret("DATABASE_URL"),
  poolSize: ConfigValue.integer("DATABASE_POOL_SIZE", { min: 1, max: 100, default: 10 }),
  dataDir: ConfigValue.nonEmptyString("EMBEDDED_DATA_DIR", ".data/postgres")
})

export type DatabaseSettings = Config.Config.Success<typeof DatabaseConfig>
