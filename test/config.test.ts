import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { ApiConfig } from "../src/config/ApiConfig.js"
import { DatabaseConfig } from "../src/config/DatabaseConfig.js"
import { configProviderWithDotEnv } from "../src/config/DotEnv.js"
import { formatConfigError } from "../src/config/formatConfigError.js"
import { LlmConfig } from "../src/config/LlmConfig.js"
import { ScraperConfig } from "../src/config/ScraperConfig.js"
import { makeTempDir } from "./support/TestDatabase.js"

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const errorOf = <A, E extends import("effect").ConfigError.ConfigError>(effect: Effect.Effect<A, E>) =>
  effect.pipe(Effect.either, Effect.map((result) => (Either.isLeft(result) ? formatConfigError(result.left) : "no error")))

describe("configuration", () => {
  it.effect("defaults match the reference design", () =>
    Effect.gen(function* () {
      const api = yield* ApiConfig
      const llm = yield* LlmConfig
      const scraper = yield* ScraperConfig
      const db = yield* DatabaseConfig
      expect(api).toMatchObject({ host: "0.0.0.0", port: 8000, reload: false })
      expect(llm).toMatchObject({ model: "gpt-4.1-mini", temperature: 0.3, maxTokens: 1000, concurrency: 3, provider: "auto" })
      expect(Option.isNone(llm.apiKey)).toBe(true)
      expect(scraper).toMatchObject({
        timeoutSeconds: 10,
        maxRetries: 3,
        userAgent: "CommonForge Lead Scorer/1.0",
        maxTextLength: 3000,
        concurrency: 10
      })
      expect(Option.isNone(db.url)).toBe(true)
      expect(db.dataDir).toBe(".data/postgres")
    }).pipe(withEnv({})))

  it.effect.each([
    [{ API_PORT: "abc" }, "API_PORT: expected an integer 1-65535, got 'abc'"],
    [{ API_PORT: "70000" }, "API_PORT: expected an integer 1-65535, got '70000'"],
    [{ API_RELOAD: "maybe" }, "API_RELOAD: expected true or false, got 'maybe'"]
  ] as const)("rejects %o with a message naming the variable", ([env, message]) =>
    Effect.gen(function* () {
      expect(yield* errorOf(ApiConfig.pipe(withEnv(env)))).toBe(message)
    }))

  it.effect.each([
    [{ OPENAI_TEMPERATURE: "hot" }, "OPENAI_TEMPERATURE: expected a number 0-2, got 'hot'"],
    [{ OPENAI_MAX_TOKENS: "-5" }, "OPENAI_MAX_TOKENS: expected an integer 1-200000, got '-5'"],
    [{ CONCURRENT_LLM_CALLS: "2.5" }, "CONCURRENT_LLM_CALLS: expected an integer 1-1000, got '2.5'"],
    [{ LLM_PROVIDER: "gpt" }, "LLM_PROVIDER: expected one of auto, openai, openai-compatible, heuristic, got 'gpt'"],
    [{ OPENAI_BASE_URL: "ftp://x" }, "OPENAI_BASE_URL: expected an http(s) URL, got 'ftp://x'"]
  ] as const)("rejects %o in the LLM settings", ([env, message]) =>
    Effect.gen(function* () {
      expect(yield* errorOf(LlmConfig.pipe(withEnv(env)))).toBe(message)
    }))

  it.effect.each([
    [{ SCRAPER_TIMEOUT: "0" }, "SCRAPER_TIMEOUT: expected a number 0.1-600, got '0'"],
    [{ SCRAPER_MAX_RETRIES: "x" }, "SCRAPER_MAX_RETRIES: expected an integer 0-20, got 'x'"],
    [{ MAX_WEBSITE_TEXT_LENGTH: "lots" }, "MAX_WEBSITE_TEXT_LENGTH: expected an integer 0-1000000, got 'lots'"],
    [{ SCRAPER_USER_AGENT: "" }, "SCRAPER_USER_AGENT: expected a non-empty string, got ''"]
  ] as const)("rejects %o in the scraper settings", ([env, message]) =>
    Effect.gen(function* () {
      expect(yield* errorOf(ScraperConfig.pipe(withEnv(env)))).toBe(message)
    }))

  it.effect("reports every bad variable at once", () =>
    Effect.gen(function* () {
      const message = yield* errorOf(ApiConfig.pipe(withEnv({ API_PORT: "abc", API_RELOAD: "maybe" })))
      expect(message.split("\n").sort()).toEqual([
        "API_PORT: expected an integer 1-65535, got 'abc'",
        "API_RELOAD: expected true or false, got 'maybe'"
      ])
    }))

  it.effect("secrets are redacted and never printed", () =>
    Effect.gen(function* () {
      const llm = yield* LlmConfig
      const db = yield* DatabaseConfig
      expect(Option.map(llm.apiKey, Redacted.value)).toEqual(Option.some("sk-secret-123"))
      expect(JSON.stringify(llm)).not.toContain("sk-secret-123")
      expect(String(llm.apiKey)).not.toContain("sk-secret-123")
      expect(JSON.stringify(db)).not.toContain("hunter2")
    }).pipe(withEnv({ OPENAI_API_KEY: "sk-secret-123", DATABASE_URL: "postgres://u:hunter2@db/x" })))

  it.effect("reads .env, and the environment wins over it", () =>
    Effect.gen(function* () {
      const dir = makeTempDir("dotenv")
      const file = path.join(dir, ".env")
      fs.writeFileSync(file, "API_PORT=9100\nOPENAI_MODEL=from-dotenv\n# a comment\nAPI_HOST=127.0.0.1\n")
      const previous = process.env.API_HOST
      process.env.API_HOST = "10.1.2.3"
      try {
        const provider = yield* configProviderWithDotEnv(file)
        const api = yield* Effect.withConfigProvider(ApiConfig, provider)
        const llm = yield* Effect.withConfigProvider(LlmConfig, provider)
        expect(api.port).toBe(9100)
        expect(api.host).toBe("10.1.2.3")
        expect(llm.model).toBe("from-dotenv")
      } finally {
        if (previous === undefined) delete process.env.API_HOST
        else process.env.API_HOST = previous
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }))

  it.effect("a missing .env is fine", () =>
    Effect.gen(function* () {
      const provider = yield* configProviderWithDotEnv("/nonexistent/.env")
      const api = yield* Effect.withConfigProvider(ApiConfig, provider)
      expect(api.port).toBeGreaterThan(0)
    }))
})
