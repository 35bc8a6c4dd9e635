import { Layer } from "effect"
import { DatabaseLive } from "../db/Database.js"
import { RunStore } from "../pipeline/RunStore.js"
import { RejectedRowsStore } from "../stages/clean/RejectedRowsStore.js"
import { CompaniesVersion } from "./CompaniesVersion.js"
import { CompanyOverrides } from "./CompanyOverrides.js"
import { CompanyQueries } from "./CompanyQueries.js"
import { RunQueries } from "./RunQueries.js"

/** The query services over whatever database layer is given (the configured one, or a test's). */
export const ApiServicesLayer = Layer.mergeAll(CompanyQueries.DefaultWithoutDependencies, RunQueries.Default, CompanyOverrides.DefaultWithoutDependencies).pipe(
  Layer.provideMerge(CompaniesVersion.Default),
  Layer.provide(Layer.mergeAll(RunStore.Default, RejectedRowsStore.Default))
)

/** What `pnpm serve` runs on: connection, migrations, health check and the query services. */
export const ApiLayer = ApiServicesLayer.pipe(Layer.provideMerge(DatabaseLive))

export type ApiServices = Layer.Layer.Success<typeof ApiLayer>
