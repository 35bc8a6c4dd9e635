import { Layer } from "effect"
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
