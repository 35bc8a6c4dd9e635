import { Layer } from "effect"
import { DatabaseLive } from "../db/Database.js"
import { RunStore } from "../pipeline/RunStore.js"
import { RejectedRowsStore } from "../stages/clean/RejectedRowsStore.js"
import { ClientClusterLayer } from "./ClusterLayer.js"

/** What `pnpm pipeline --distributed` needs: the run tables and a cluster client; the runners do the work. */
export const SubmitterLayer = Layer.mergeAll(RunStore.Default, RejectedRowsStore.Default, ClientClusterLayer).pipe(
  Layer.provideMerge(DatabaseLive)
)
