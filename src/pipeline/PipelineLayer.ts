import { Layer } from "effect"
import { ClientClusterLayer } from "../cluster/ClusterLayer.js"
import { DatabaseLive } from "../db/Database.js"
import { RejectedRowsStore } from "../stages/clean/RejectedRowsStore.js"
import { EnricherLive } from "../stages/enrich/Enricher.js"
import { CompanyWriter } from "../stages/persist/CompanyWriter.js"
import { Scraper } from "../stages/scrape/Scraper.js"
import { ScrapeStore } from "../stages/scrape/ScrapeStore.js"
import { CompanySteps } from "./CompanySteps.js"
import { RunStore } from "./RunStore.js"

/** Everything a pipeline run needs, composed once. */
export const PipelineLayer = CompanySteps.Default.pipe(
  Layer.provideMerge(Layer.mergeAll(
  RunStore.Default,
  RejectedRowsStore.Default,
  ScrapeStore.Default,
  CompanyWriter.Default,
  Scraper.Default,
  EnricherLive
  )),
  Layer.provideMerge(DatabaseLive)
)

/** What `runs` and `status` need: the database only. */
export const RunsQueryLayer = RunStore.Default.pipe(Layer.provideMerge(DatabaseLive))

/** What `pnpm pipeline --distributed` needs: the run tables and a cluster client; the runners do the work. */
export const SubmitterLayer = Layer.mergeAll(RunStore.Default, RejectedRowsStore.Default, ClientClusterLayer).pipe(
  Layer.provideMerge(DatabaseLive)
)
