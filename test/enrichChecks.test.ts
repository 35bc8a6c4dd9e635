import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import * as net from "node:net"
import type { LlmSettings } from "../src/config/LlmConfig.js"
import { exitCodeForError } from "../src/process/ExitCode.js"
import { Enricher, type EnricherOptions, enricherLayer } from "../src/stages/enrich/Enricher.js"
import { EnrichError } from "../src/schema/EnrichError.js"
import { EnrichmentCache } from "../src/stages/enrich/EnrichmentCache.js"
import type { EnrichmentInput } from "../src/stages/enrich/EnrichmentInput.js"
import { LlmPreflightError } from "../src/stages/enrich/LlmPreflightError.js"
import { defaultIcp } from "./support/defaultIcp.js"
import { type FakeLlmServerOptions, type FakeScript, startFakeLlmServer } from "./support/fakeLlmServer.js"

const settings = (overrides: Partial<LlmSettings> = {}): LlmSettings => ({
  provider: "heuristic",
  apiKey: Option.none(),
  baseUrl: Option.none(),
  model: "fake-model",
  temperature: 0.3,
  maxTokens: 1000,
  concurrency: 4,
  requestsPerMinute: Option.none(),
  timeoutSeconds: 10,
  maxRetries: 0,
  icpProfile: "data/icp.md",
  ...overrides
})

const buildEnricher = (overrides: Partial<LlmSettings> = {}, extra: Partial<EnricherOptions> = {}) =>
  Layer.build(
    enricherLayer({ settings: settings(overrides), retry: { baseDelay: "5 millis", maxDelay: "50 millis" }, ...extra }).pipe(
      Layer.provide(Layer.merge(EnrichmentCache.layerMemory, NodeHttpClient.layerUndici))
    )
  ).pipe(Effect.map(Context.get(Enricher)), Logger.withMinimumLogLevel(LogLevel.Error))

const remote = ["openai", "openai-compatible"] as const

const against = (provider: (typeof remote)[number], script?: FakeScript, server: FakeLlmServerOptions = {}, overrides: Partial<LlmSettings> = {}) =>
  Effect.gen(function* () {
    const fake = yield* startFakeLlmServer({ ...server, ...(script ? { script } : {}) })
    const enricher = yield* buildEnricher({ provider, baseUrl: Option.some(fake.url), ...overrides })
    return { fake, enricher }
  })

const input = (overrides: Partial<EnrichmentInput> = {}): EnrichmentInput => ({
  companyName: "Northwind Logistics",
  domain: "northwind.example",
  countryName: "Germany",
  countryRaw: "DE",
  employeeCount: 450,
  industry: "Logistics",
  websiteText: "Northwind runs a cloud platform for freight forwarders with APIs that automate shipment tracking workflows.",
  ...overrides
})

const answer = (overrides: Record<string, unknown> = {}) => ({
  icp_fit_score: 82,
  segment: "Enterprise",
  primary_use_case: "Automating shipment tracking",
  risk_flags: [],
  personalized_pitch: "Northwind, CommonForge can automate your shipment-tracking support at scale.",
  score_rationale: [
    { reason: "Logistics.", quote: null },
    { reason: "Automation on the site.", quote: null }
  ],
  confidence: 0.9,
  ...overrides
})

/** A TCP port nothing listens on (bound, then closed). */
const closedPort = Effect.async<number>((resume) => {
  const server = net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error(`expected a failure, got ${String(exit)}`)
  return exit.cause.error
}

describe("enrich: every provider's answer is settled against the evidence", () => {
  for (const provider of remote) {
    it.scopedLive(`${provider}: a segment contradicting the head count is replaced by the ICP band's, with a flag`, () =>
      Effect.gen(function* () {
        const { enricher } = yield* against(provider, [{ type: "object", value: answer() }])
        const result = yield* enricher.enrich(input())
        expect(result.output.segment).toBe("Mid-Market")
        expect(result.output.riskFlags).toContain("segment Enterprise replaced by Mid-Market for 450 employees")
        expect(result.output.confidence).toBe(0.9)
      }))

    it.scopedLive(`${provider}: without website text confidence is at most 0.4, and without a head count the segment is Unknown`, () =>
      Effect.gen(function* () {
        const { enricher } = yield* against(provider, [{ type: "object", value: answer({ segment: "Mid-Market" }) }])
        const result = yield* enricher.enrich(input({ websiteText: null, employeeCount: null }))
        expect(result.output.confidence).toBe(0.4)
        expect(result.output.segment).toBe("Unknown")
        expect(result.output.riskFlags).toContain("segment Mid-Market replaced by Unknown: no head count")
      }))

    it.scopedLive(`${provider}: control characters in the answer are removed before it is cached`, () =>
      Effect.gen(function* () {
        const { fake, enricher } = yield* against(provider, [
          { type: "object", value: answer({ segment: "Mid-Market", personalized_pitch: "Northwind,\u0000 automate tracking.", risk_flags: ["odd\u0007 flag"] }) }
        ])
        const first = yield* enricher.enrich(input())
        expect(first.output.personalizedPitch).toBe("Northwind, automate tracking.")
        expect(first.output.riskFlags).toEqual(["odd flag"])
        const again = yield* enricher.enrich(input())
        expect(again.cached).toBe(true)
        expect(again.output).toEqual(first.output)
        expect(fake.calls()).toBe(1)
      }))
  }

  it.scopedLive("the offline scorer follows the ICP file it is given", () =>
    Effect.gen(function* () {
      const company = input({ websiteText: null, countryName: "Germany", employeeCount: 3000 })
      const base = yield* buildEnricher()
      const edited = yield* buildEnricher({}, { icpText: defaultIcp.text.replace("target: [US, CA, GB, IE, DE,", "target: [US, CA, GB, IE,") })
      const before = yield* base.enrich(company)
      const after = yield* edited.enrich(company)
      expect(edited.promptVersion).not.toBe(base.promptVersion)
      expect(after.output.icpFitScore).toBeLessThan(before.output.icpFitScore)
      expect(before.output.confidence).toBeLessThanOrEqual(0.4)
    }))

  it.scoped("a bad ICP file stops the Enricher at start with the line, as a configuration error", () =>
    Effect.gen(function* () {
      const error = failureOf(yield* Effect.exit(buildEnricher({}, { icpText: defaultIcp.text.replace("  name: 5\n", "  name: 50\n") })))
      expect(String((error as { message: string }).message)).toMatch(/^ICP_PROFILE: data\/icp\.md line \d+: weights: the weights must add up to 100/)
      expect(exitCodeForError(error)).toBe(2)
      const noKey = failureOf(yield* Effect.exit(buildEnricher({ provider: "openai" })))
      expect(exitCodeForError(noKey)).toBe(2)
    }))
})

describe("enrich: malformed Chat Completions answers are said in one sentence", () => {
  it.scopedLive("an empty choices array", () =>
    Effect.gen(function* () {
      const { enricher } = yield* against("openai-compatible", [{ type: "status", status: 200, body: { id: "x", choices: [] } }])
      const error = failureOf(yield* Effect.exit(enricher.enrich(input())))
      expect(error).toBeInstanceOf(EnrichError)
      expect(error.reason).toBe("ServerError")
      expect(error.message).toBe('Malformed response from the LLM server: the server answered 200 with no choices; body: {"id":"x","choices":[]}')
      expect(error.message).not.toMatch(/Expected|└─/)
    }))

  it.scopedLive("a body that is not JSON, or not a completion, with the body truncated", () =>
    Effect.gen(function* () {
      const { enricher } = yield* against("openai-compatible", [
        { type: "status", status: 200, body: { choices: [{ text: "no message" }] } },
        { type: "status", status: 200, body: { note: "x".repeat(2000) } }
      ])
      const shape = failureOf(yield* Effect.exit(enricher.enrich(input())))
      expect(shape.message).toContain("the server answered 200 with a completion of the wrong shape (choices.0.message: is missing)")
      const long = failureOf(yield* Effect.exit(enricher.enrich(input({ domain: "other.example" }))))
      expect(long.message).toContain("the server answered 200 with no choices field; body: {\"note\":\"xxx")
      expect(long.message.length).toBeLessThan(500)
    }))
})

describe("enrich: preflight", () => {
  for (const provider of remote) {
    it.scopedLive(`${provider}: passes when the server lists the model`, () =>
      Effect.gen(function* () {
        const { fake, enricher } = yield* against(provider, undefined, {}, { apiKey: Option.some(Redacted.make("sk-test")) })
        yield* enricher.preflight
        expect(fake.calls()).toBe(0)
      }))
  }

  it.scopedLive("a model the server does not serve is a typed error naming the URL and the models listed", () =>
    Effect.gen(function* () {
      const { fake, enricher } = yield* against("openai-compatible", undefined, { models: ["llama3.1:latest", "qwen2.5:7b"] }, { model: "mistral" })
      const error = failureOf(yield* Effect.exit(enricher.preflight))
      expect(error).toBeInstanceOf(LlmPreflightError)
      expect(error.reason).toBe("ModelNotFound")
      expect(error.url).toBe(`${fake.url}/models`)
      expect(error.message).toContain("OPENAI_MODEL=mistral (it lists: llama3.1:latest, qwen2.5:7b)")
      expect(exitCodeForError(error)).toBe(2)
      // Ollama's `:latest` is the same model.
      const ollama = yield* buildEnricher({ provider: "openai-compatible", baseUrl: Option.some(fake.url), model: "llama3.1" })
      yield* ollama.preflight
    }))

  it.scopedLive("a server answering an error status", () =>
    Effect.gen(function* () {
      const { enricher } = yield* against("openai-compatible", undefined, { models: { status: 401 } })
      const error = failureOf(yield* Effect.exit(enricher.preflight))
      expect(error.reason).toBe("HttpStatus")
      expect(error.message).toContain("HTTP 401: the server refused the API key")
    }))

  it.scopedLive("a closed port: Unreachable, with the URL", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const url = `http://127.0.0.1:${port}/v1`
      const enricher = yield* buildEnricher({ provider: "openai-compatible", baseUrl: Option.some(url) })
      const error = failureOf(yield* Effect.exit(enricher.preflight))
      expect(error).toBeInstanceOf(LlmPreflightError)
      expect(error.reason).toBe("Unreachable")
      expect(error.message).toContain(`GET ${url}/models`)
      expect(error.message).toContain("ECONNREFUSED")
    }))

  it.scoped("the offline scorer needs no check", () =>
    Effect.gen(function* () {
      const enricher = yield* buildEnricher()
      yield* enricher.preflight
    }))
})
