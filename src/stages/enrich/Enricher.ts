import type * as AiError from "@effect/ai/AiError"
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import * as Telemetry from "@effect/ai/Telemetry"
import { HttpClient } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Context, Duration, Effect, Layer, Option, RateLimiter, type Scope } from "effect"
import { LlmConfig, type LlmSettings } from "../../config/LlmConfig.js"
import type { Enrichment } from "../../schema/Enrichment.js"
import type { EnrichmentResult } from "../../schema/EnrichmentResult.js"
import { classifyAiError } from "./classifyAiError.js"
import { makeChatCompletionsLanguageModel } from "./ChatCompletionsLanguageModel.js"
import { describeInvalidOutput } from "./describeInvalidOutput.js"
import { EnricherSetupError } from "./EnricherSetupError.js"
import { EnrichError } from "../../schema/EnrichError.js"
import { EnrichmentCache } from "./EnrichmentCache.js"
import type { EnrichmentInput } from "./EnrichmentInput.js"
import { enrichmentPrompt, promptVersion, retryPrompt } from "./EnrichmentPrompt.js"
import { deriveLlmIdempotencyKey, idempotentHttpClient } from "./LlmIdempotencyKey.js"
import { makeHeuristicLanguageModel } from "./HeuristicLanguageModel.js"
import { makeFairSemaphore } from "../../process/FairSemaphore.js"
import { HEURISTIC_VERSION } from "./heuristicScore.js"
import { inputHash } from "./inputHash.js"
import type { LlmPreflightError } from "./LlmPreflightError.js"
import { ModelOutput } from "./ModelOutput.js"
import { preflightLlm } from "./preflightLlm.js"
import type { IcpProfile } from "./IcpProfile.js"
import { icpProfileFromText, readIcpProfile } from "./readIcpProfile.js"
import { type ProviderName, resolveProvider } from "./resolveProvider.js"
import { type RetryOptions, transientRetrySchedule } from "./retrySchedule.js"
import { settleEnrichment } from "./settleEnrichment.js"
import { toEnrichment } from "./verifyQuotes.js"


export class Enricher extends Context.Tag("Enricher")<
  Enricher,
  {
    readonly provider: string
    readonly model: string
    readonly promptVersion: string
    /** Cache, concurrency bound, rate limit, retries, validation retry and quote checks are all inside. */
    readonly enrich: (input: EnrichmentInput) => Effect.Effect<EnrichmentResult, EnrichError>
    /** A remote provider answers and serves the model (one `GET /models`); call before a run writes anything. */
    readonly preflight: Effect.Effect<void, LlmPreflightError>
  }
>() {}


export interface EnricherOptions {
  readonly settings: LlmSettings
  /** The ICP text; read from `settings.icpProfile` when absent. */
  readonly icpText?: string | undefined
  /** Backoff of transient retries (tests shorten it). Default 1 s doubling, at most 30 s. */
  readonly retry?: Partial<Pick<RetryOptions, "baseDelay" | "maxDelay">> | undefined
}

const OBJECT_NAME = "lead_enrichment"
const EXCERPT_CHARS = 300

const excerpt = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length <= EXCERPT_CHARS ? flat : `${flat.slice(0, EXCERPT_CHARS)}…`
}

const reasoningModel = (model: string) => /^(o\d|gpt-5)/.test(model)

const makeLanguageModel = (provider: ProviderName, settings: LlmSettings, icp: IcpProfile) => {
  switch (provider) {
    case "heuristic":
      return makeHeuristicLanguageModel(icp.structure)
    case "openai-compatible":
      return makeChatCompletionsLanguageModel({
        baseUrl: Option.getOrThrow(settings.baseUrl),
        apiKey: settings.apiKey,
        model: settings.model,
        temperature: settings.temperature,
        maxTokens: settings.maxTokens
      })
    case "openai":
      return Effect.gen(function* () {
        // Loaded only when chosen: the generated OpenAI client is most of a run's module memory.
        const { OpenAiClient, OpenAiLanguageModel } = yield* Effect.promise(() => import("@effect/ai-openai"))
        const client = yield* OpenAiClient.make({
          apiKey: Option.getOrUndefined(settings.apiKey),
          apiUrl: Option.getOrUndefined(settings.baseUrl)
        })
        return yield* OpenAiLanguageModel.make({
          model: settings.model,
          config: {
            max_output_tokens: settings.maxTokens,
            // Reasoning models reject a temperature.
            ...(reasoningModel(settings.model) ? {} : { temperature: settings.temperature })
          }
        }).pipe(Effect.provideService(OpenAiClient.OpenAiClient, client))
      })
  }
}

const describeChoice = (provider: ProviderName, settings: LlmSettings) => {
  if (settings.provider !== "auto") return `LLM_PROVIDER=${settings.provider}`
  if (provider === "openai-compatible") return "auto: OPENAI_BASE_URL is set"
  if (provider === "openai") return "auto: OPENAI_API_KEY is set"
  return "auto: neither OPENAI_API_KEY nor OPENAI_BASE_URL is set"
}

interface Usage {
  inputTokens: number
  outputTokens: number
  latencyMs: number
}

export const makeEnricher = (
  options: EnricherOptions
): Effect.Effect<Context.Tag.Service<Enricher>, EnricherSetupError, HttpClient.HttpClient | EnrichmentCache | Scope.Scope> =>
  Effect.gen(function* () {
    const { settings } = options
    const icp =
      options.icpText === undefined
        ? yield* readIcpProfile(settings.icpProfile)
        : yield* icpProfileFromText(options.icpText, settings.icpProfile)
    const icpText = icp.text
    const provider = resolveProvider(settings)
    if (provider === "openai" && Option.isNone(settings.apiKey) && Option.isNone(settings.baseUrl)) {
      return yield* new EnricherSetupError({ message: "LLM_PROVIDER=openai needs OPENAI_API_KEY" })
    }
    if (provider === "openai-compatible" && Option.isNone(settings.baseUrl)) {
      return yield* new EnricherSetupError({ message: "LLM_PROVIDER=openai-compatible needs OPENAI_BASE_URL" })
    }
    const model = provider === "heuristic" ? HEURISTIC_VERSION : settings.model
    const version = promptVersion(icpText)
    const languageModel = yield* makeLanguageModel(provider, settings, icp)
    const cache = yield* EnrichmentCache
    const slots = yield* makeFairSemaphore(settings.concurrency)
    const rateLimit: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> = Option.isSome(
      settings.requestsPerMinute
    )
      ? yield* RateLimiter.make({ limit: settings.requestsPerMinute.value, interval: "1 minute", algorithm: "token-bucket" })
      : (effect) => effect
    const timeout = Duration.seconds(settings.timeoutSeconds)
    const schedule = transientRetrySchedule({
      maxRetries: settings.maxRetries,
      baseDelay: options.retry?.baseDelay ?? "1 second",
      maxDelay: options.retry?.maxDelay ?? "30 seconds"
    })
    const target = Option.match(settings.baseUrl, { onNone: () => "", onSome: (url) => ` at ${url}` })
    yield* Effect.logInfo(
      `Enrichment provider: ${provider}${provider === "heuristic" ? "" : ` (model ${model}${target})`} [${describeChoice(provider, settings)}], prompt version ${version}`
    )

    /** One model call in a concurrency slot under the rate limit; records what it cost and what it answered. */
    const attempt = (prompt: Prompt.RawInput, usage: Usage, answer: { raw: string }) =>
      Effect.gen(function* () {
        let response: ReadonlyArray<Response.AllParts<any>> = []
        const telemetry = yield* Effect.serviceOption(Telemetry.CurrentSpanTransformer)
        // The transformer sees the answer before it is decoded: the only place its raw text is available.
        const capture: Telemetry.SpanTransformer = (o) => {
          response = o.response
          if (Option.isSome(telemetry)) telemetry.value(o)
        }
        const [elapsed, exit] = yield* languageModel
          .generateObject({ prompt, schema: ModelOutput, objectName: OBJECT_NAME })
          .pipe(
            Effect.provideService(Telemetry.CurrentSpanTransformer, capture),
            Effect.timeoutFail({
              duration: timeout,
              onTimeout: () =>
                new EnrichError({ reason: "Timeout", message: `No answer within ${settings.timeoutSeconds} s`, retryable: true })
            }),
            Effect.mapError((error): EnrichError => (error instanceof EnrichError ? error : classifyAiError(error as AiError.AiError))),
            Effect.exit,
            Effect.timed,
            rateLimit,
            slots.withPermit
          )
        usage.latencyMs += Duration.toMillis(elapsed)
        for (const part of response) {
          if (part.type === "finish") {
            usage.inputTokens += part.usage.inputTokens ?? 0
            usage.outputTokens += part.usage.outputTokens ?? 0
          }
        }
        const texts = response.filter((p): p is Response.TextPart => p.type === "text")
        answer.raw = texts.map((p) => p.text).join("")
        const refusal = texts.map((p) => p.metadata?.openai?.refusal).find((r) => r !== undefined && r !== "")
        const filtered = response.some((p) => p.type === "finish" && p.reason === "content-filter")
        if (exit._tag === "Success") return exit.value.value
        if (refusal !== undefined || (filtered && exit.cause._tag === "Fail" && exit.cause.error.reason === "InvalidOutput")) {
          return yield* new EnrichError({
            reason: "Refused",
            message: `The model refused: ${excerpt(refusal ?? "content filter")}`,
            rawExcerpt: refusal === undefined ? undefined : excerpt(refusal),
            retryable: false
          })
        }
        return yield* Effect.failCause(exit.cause)
      })

    const callModel = (input: EnrichmentInput, usage: Usage) => {
      const answer = { raw: "" }
      const withRetries = (prompt: Prompt.RawInput) => Effect.retry(attempt(prompt, usage, answer), schedule)
      return withRetries(enrichmentPrompt(icpText, input)).pipe(
        Effect.catchIf(
          (error) => error.reason === "InvalidOutput",
          () => {
            const first = answer.raw
            const problem = describeInvalidOutput(first)
            return withRetries(retryPrompt(icpText, input, first, problem)).pipe(
              deriveLlmIdempotencyKey("repair"),
              Effect.mapError((error) => {
                if (error.reason !== "InvalidOutput") return error
                const rawExcerpt = excerpt(answer.raw)
                return new EnrichError({
                  reason: "InvalidOutput",
                  message: `The answer failed the schema twice (the validation error was fed back once): ${excerpt(describeInvalidOutput(answer.raw))} Raw output: ${rawExcerpt === "" ? "(empty)" : JSON.stringify(rawExcerpt)}`,
                  rawExcerpt,
                  retryable: false
                })
              })
            )
          }
        )
      )
    }

    const enrich = Effect.fn("Enricher.enrich")(
      function* (input: EnrichmentInput) {
        yield* Effect.annotateCurrentSpan({ domain: input.domain, provider, model })
        const hash = inputHash(input, { provider, model, promptVersion: version })
        const hit = yield* cache.get(hash).pipe(
          Effect.catchAll((error) =>
            Effect.logWarning("Enrichment cache lookup failed; calling the model", error).pipe(Effect.as(Option.none()))
          )
        )
        if (Option.isSome(hit)) {
          const c = hit.value
          return {
            output: settleEnrichment(c.output, input, icp.structure.size),
            provider,
            model,
            promptVersion: version,
            inputHash: hash,
            inputTokens: c.inputTokens,
            outputTokens: c.outputTokens,
            latencyMs: c.latencyMs,
            cached: true
          } satisfies EnrichmentResult
        }
        const usage: Usage = { inputTokens: 0, outputTokens: 0, latencyMs: 0 }
        const answer = yield* callModel(input, usage)
        const output = settleEnrichment(toEnrichment(answer, input.websiteText), input, icp.structure.size)
        const result: EnrichmentResult = {
          output,
          provider,
          model,
          promptVersion: version,
          inputHash: hash,
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          latencyMs: usage.latencyMs,
          cached: false
        }
        yield* cache
          .put({ ...result, domain: input.domain })
          .pipe(Effect.catchAll((error) => Effect.logWarning("Could not store the enrichment in the cache", error)))
        return result
      },
      (effect, input) => Effect.annotateLogs(effect, { domain: input.domain })
    )

    const http = yield* HttpClient.HttpClient
    const preflight = preflightLlm(provider, settings).pipe(Effect.provideService(HttpClient.HttpClient, http))

    return { provider, model, promptVersion: version, enrich, preflight }
  })

/** An Enricher from explicit settings (tests, benches); needs an HttpClient and an EnrichmentCache. */
export const enricherLayer = (options: EnricherOptions) => Layer.scoped(Enricher, makeEnricher(options))

/** The Enricher from LlmConfig, caching in the database: needs only SqlClient (HTTP is Node's undici). */
export const EnricherLive = Layer.unwrapEffect(Effect.map(LlmConfig, (settings) => enricherLayer({ settings }))).pipe(
  Layer.provide(Layer.merge(EnrichmentCache.layerSql, idempotentHttpClient.pipe(Layer.provide(NodeHttpClient.layerUndici))))
)
