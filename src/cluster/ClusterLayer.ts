import { ClusterWorkflowEngine, RunnerAddress, RunnerHealth, Runners, ShardingConfig, SocketRunner, SqlMessageStorage, SqlRunnerStorage } from "@effect/cluster"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import { RpcSerialization } from "@effect/rpc"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Option } from "effect"
import { ClusterConfig, type ClusterSettings } from "../config/ClusterConfig.js"
import { ClusterError } from "./ClusterError.js"
import { requireDatabaseServer } from "./requireDatabaseServer.js"

/**
 * The cluster keeps its messages and runner state in the pipeline's own Postgres, on a pool of its own:
 * its ids are 64-bit snowflakes, which the pipeline pool's int8-as-number parser would round.
 */
const ClusterSql = Layer.unwrapEffect(
  Effect.gen(function* () {
    const url = yield* requireDatabaseServer("distributed mode")
    const cluster = yield* ClusterConfig
    return PgClient.layer({
      url,
      maxConnections: cluster.poolSize,
      connectTimeout: Duration.seconds(10),
      applicationName: "commonforge-cluster"
    })
  })
)

const shardingConfig = (settings: ClusterSettings, runner: boolean) =>
  ShardingConfig.layer({
    runnerAddress: runner ? Option.some(RunnerAddress.make(settings.host, settings.port)) : Option.none(),
    runnerListenAddress: runner
      ? Option.map(settings.listenHost, (host) => RunnerAddress.make(host, settings.port))
      : Option.none(),
    shardsPerGroup: settings.shards,
    shardLockExpiration: Duration.seconds(settings.failoverSeconds),
    shardLockRefreshInterval: Duration.seconds(Math.max(1, Math.floor(settings.failoverSeconds / 4))),
    // Persisted messages another runner could not hand over are picked up from storage this often.
    entityMessagePollInterval: Duration.millis(500),
    entityReplyPollInterval: Duration.millis(200),
    runnerHealthCheckInterval: Duration.seconds(Math.max(1, Math.floor(settings.failoverSeconds / 3))),
    // A finished company's workflow entity is not addressed again: free it soon rather than after a minute.
    entityMaxIdleTime: Duration.seconds(10),
    // Messages between a runner's own workflows and activities stay in memory (their payloads are stored
    // encoded anyway); simulating the wire for them only costs CPU.
    simulateRemoteSerialization: false
  })

/** Any constant shared by every process of this project (not the pipeline migrations' key). */
const STORAGE_SETUP_LOCK_KEY = 7_301_245_883

/**
 * The cluster's storage creates its tables on first start through a migrator that does not guard creating
 * its own table: runners starting together on a fresh database can collide (seen in CI). Setting up under a
 * session advisory lock, on a connection of its own released right after, makes them take turns.
 */
const storage = Layer.scopedContext(
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const sql = yield* SqlClient.SqlClient
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const connection = yield* Effect.orDie(sql.reserve)
        yield* Effect.acquireRelease(
          Effect.orDie(connection.executeRaw(`SELECT pg_advisory_lock(${STORAGE_SETUP_LOCK_KEY})`, [])),
          () => Effect.ignore(connection.executeRaw(`SELECT pg_advisory_unlock(${STORAGE_SETUP_LOCK_KEY})`, []))
        )
        return yield* Layer.buildWithScope(
          Layer.mergeAll(Layer.orDie(SqlMessageStorage.layer), Layer.orDie(SqlRunnerStorage.layer)),
          scope
        )
      })
    )
  })
)

/** A runner: serves its shards on CLUSTER_HOST:CLUSTER_PORT and executes workflows. */
export const RunnerClusterLayer = Layer.unwrapEffect(
  Effect.map(ClusterConfig, (settings) =>
    ClusterWorkflowEngine.layer.pipe(
      Layer.provideMerge(SocketRunner.layer),
      Layer.provide([NodeClusterSocket.layerSocketServer, NodeClusterSocket.layerClientProtocol]),
      Layer.provide(RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc), Layer.provide(NodeClusterSocket.layerClientProtocol))),
      Layer.provideMerge(storage),
      Layer.provide(shardingConfig(settings, true)),
      Layer.provide(RpcSerialization.layerMsgPack)
    ).pipe(
      Layer.mapError((error) =>
        error._tag === "SocketServerError"
          ? new ClusterError({
              reason: "Unavailable",
              message: `the runner cannot listen on ${Option.getOrElse(settings.listenHost, () => settings.host)}:${settings.port} (CLUSTER_LISTEN_HOST/CLUSTER_HOST, CLUSTER_PORT): ${describeCause(error.cause)}`
            })
          : error
      )
    )
  )
).pipe(Layer.provide(ClusterSql))

const describeCause = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** The submitter: sends workflows to whichever runner owns their shard, runs none itself. */
export const ClientClusterLayer = Layer.unwrapEffect(
  Effect.map(ClusterConfig, (settings) =>
    ClusterWorkflowEngine.layer.pipe(
      Layer.provideMerge(SocketRunner.layerClientOnly),
      Layer.provide(NodeClusterSocket.layerClientProtocol),
      Layer.provideMerge(storage),
      Layer.provide(shardingConfig(settings, false)),
      Layer.provide(RpcSerialization.layerMsgPack)
    )
  )
).pipe(Layer.provide(ClusterSql))
