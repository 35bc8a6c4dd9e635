import { Layer } from "effect"
import { DatabaseLive, UnmigratedDatabaseLive } from "../db/Database.js"
import { RejectedRowsStore } from "../stages/clean/RejectedRowsStore.js"
import { EnricherLive } from "../stages/enrich/Enricher.js"
import { EnrichmentCache } from "../stages/enrich/EnrichmentCache.js"
import { CompanyWriter } from "../stages/persist/CompanyWriter.js"
import { Scraper } from "../stages/scrape/Scraper.js"
import { ScrapeStore } from "../stages/scrape/ScrapeStore.js"
import { RunStore } from "./RunStore.js"

const services = Layer.mergeAll(
  RunStore.Default,
  RejectedRowsStore.Default,
  ScrapeStore.Default,
  CompanyWriter.Default,
  Scraper.Default,
  EnricherLive,
  EnrichmentCache.layerSql
)

/** Everything the declared stages and a run's bookkeeping need, composed once. */
export const PipelineLayer = services.pipe(Layer.provideMerge(DatabaseLive))

/** The same for `--dry-run`, on a database it does not migrate: it writes nothing, schema included. */
export const DryRunLayer = services.pipe(Layer.provideMerge(UnmigratedDatabaseLive))
