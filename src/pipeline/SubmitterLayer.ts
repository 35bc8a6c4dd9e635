import { Layer } from "effect"
import { ClientClusterLayer } from "../cluster/ClusterLayer.js"
import { DatabaseLive } from "../db/Database.js"
import { RejectedRowsStore } from "../stages/clean/RejectedRowsStore.js"
import { RunStore } from "./RunStore.js"

/**
 * What `pnpm pipeline --distributed` needs: the run tables and a cluster client; the runners do the work.
 * Apart from PipelineLayer so that a local run never loads the cluster.
 */
export const SubmitterLayer = Layer.mergeAll(RunStore.Default, RejectedRowsStore.Default, ClientClusterLayer).pipe(
  Layer.provideMerge(DatabaseLive)
)
