import * as PlatformConfigProvider from "@effect/platform/PlatformConfigProvider"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { ConfigProvider, Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"

/**
 * Environment variables first, then `.env` in the working directory when present, so a variable exported
 * in the shell or set by a scheduler always wins over the file.
 */
export const configProviderWithDotEnv = (file = path.resolve(".env")) =>
  Effect.gen(function* () {
    const env = ConfigProvider.fromEnv()
    if (!fs.existsSync(file)) return env
    const dotEnv = yield* PlatformConfigProvider.fromDotEnv(file).pipe(Effect.provide(NodeFileSystem.layer))
    return ConfigProvider.orElse(env, () => dotEnv)
  })

export const DotEnvLive = (file?: string) =>
  Layer.unwrapEffect(Effect.map(configProviderWithDotEnv(file), Layer.setConfigProvider))
