import { Config } from "effect"
import * as os from "node:os"
import * as ConfigValue from "./ConfigValue.js"

/**
 * Twice the machine's cores, 4 to 10: the usual sizing of a pool (more connections than the cores can serve
 * only queue inside the server). The pipeline batches its statements and is no faster with more (`pnpm bench
 * pipeline`: 4 and 10 alike on 2 cores), while every connection is a backend process of its own, about 20 MB
 * of the embedded server's memory on a small machine.
 */
const defaultPoolSize = Math.min(10, Math.max(4, 2 * os.availableParallelism()))

export const DatabaseConfig = Config.all({
  /** Absent: the embedded PostgreSQL on the data directory `dataDir`, shared by every local process. */
  url: ConfigValue.optionalSecret("DATABASE_URL"),
  poolSize: ConfigValue.integer("DATABASE_POOL_SIZE", { min: 1, max: 100, default: defaultPoolSize }),
  dataDir: ConfigValue.nonEmptyString("EMBEDDED_DATA_DIR", ".data/postgres")
})

export type DatabaseSettings = Config.Config.Success<typeof DatabaseConfig>
