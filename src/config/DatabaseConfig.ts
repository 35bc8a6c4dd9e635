import { Config } from "effect"
import * as ConfigValue from "./ConfigValue.js"

export const DatabaseConfig = Config.all({
  /** Absent: the embedded PGlite database in `dataDir`. */
  url: ConfigValue.optionalSecret("DATABASE_URL"),
  poolSize: ConfigValue.integer("DATABASE_POOL_SIZE", { min: 1, max: 100, default: 10 }),
  dataDir: ConfigValue.nonEmptyString("PGLITE_DATA_DIR", ".data/pglite")
})

export type DatabaseSettings = Config.Config.Success<typeof DatabaseConfig>
