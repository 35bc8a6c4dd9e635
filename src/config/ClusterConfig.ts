import { Config } from "effect"
import * as ConfigValue from "./ConfigValue.js"

/** How a `pnpm worker` runner joins the cluster; every runner and the submitter share DATABASE_URL. */
export const ClusterConfig = Config.all({
  /** The address other runners reach this one at: a host name or IP they can resolve, not 0.0.0.0. */
  host: ConfigValue.nonEmptyString("CLUSTER_HOST", "localhost"),
  port: ConfigValue.integer("CLUSTER_PORT", { min: 1, max: 65535, default: 34431 }),
  /** Where the runner listens; default CLUSTER_HOST. 0.0.0.0 when the advertised name is a NAT/DNS name. */
  listenHost: ConfigValue.optionalString("CLUSTER_LISTEN_HOST"),
  /** Shards spread the workflows over runners; every runner and submitter must use the same number. */
  shards: ConfigValue.integer("CLUSTER_SHARDS", { min: 1, max: 10_000, default: 300 }),
  /** A runner that stops heart-beating loses its shards after this long: the failover time. */
  failoverSeconds: ConfigValue.integer("CLUSTER_FAILOVER_SECONDS", { min: 3, max: 3600, default: 30 }),
  /** The submitter keeps at most this many companies submitted and unfinished, cluster-wide. */
  maxInFlight: ConfigValue.integer("CLUSTER_MAX_IN_FLIGHT", { min: 1, max: 1_000_000, default: 2000 }),
  /**
   * Companies a runner works on at once (the rest of its shards' companies wait their turn, doing nothing).
   * Default: 2 × (SCRAPER_CONCURRENCY + CONCURRENT_LLM_CALLS).
   */
  runnerCompanies: ConfigValue.optionalInteger("CLUSTER_RUNNER_COMPANIES", { min: 1, max: 100_000 }),
  /**
   * LLM calls at a time across the whole cluster: when set, every runner's calls go through one gate entity.
   * Unset: each runner bounds its own (CONCURRENT_LLM_CALLS), N runners making up to N times as many.
   */
  llmConcurrency: ConfigValue.optionalInteger("CLUSTER_LLM_CONCURRENCY", { min: 1, max: 10_000 }),
  /** Connections of the cluster's own pool (message and runner storage). */
  poolSize: ConfigValue.integer("CLUSTER_DATABASE_POOL_SIZE", { min: 2, max: 100, default: 6 })
})

export type ClusterSettings = Config.Config.Success<typeof ClusterConfig>
