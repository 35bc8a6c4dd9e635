import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Duration, Effect, Option, Schema } from "effect"
import type { LlmSettings } from "../../config/LlmConfig.js"
import { sanitizeText } from "../../schema/sanitizeText.js"
import { LlmPreflightError } from "./LlmPreflightError.js"
import type { ProviderName } from "./resolveProvider.js"

export const OPENAI_API_URL = "https://api.openai.com/v1"
const PREFLIGHT_TIMEOUT_SECONDS = 15

const ModelList = Schema.Struct({ data: Schema.Array(Schema.Struct({ id: Schema.String })) })

const excerpt = (text: string, max = 200) => {
  const flat = sanitizeText(text).replace(/\s+/g, " ").trim()
  return flat.length <= max ? flat : `${flat.slice(0, max)}…`
}

/** Ollama serves `llama3.1` as `llama3.1:latest`. */
const sameModel = (served: string, wanted: string) =>
  served === wanted || served === `${wanted}:latest` || wanted === `${served}:latest`

const causeOf = (error: unknown): string => {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== undefined; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string") return code
    current = (current as { cause?: unknown }).cause
  }
  return error instanceof Error ? error.message : String(error)
}

/**
 * One cheap request before a run with a remote provider writes anything: `GET {base}/models` (OpenAI, vLLM,
 * Ollama, llama.cpp and LM Studio all answer it) must answer and list the configured model. The offline scorer
 * needs nothing.
 */
export const preflightLlm = (
  provider: ProviderName,
  settings: Pick<LlmSettings, "baseUrl" | "apiKey" | "model" | "timeoutSeconds">
): Effect.Effect<void, LlmPreflightError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    if (provider === "heuristic") return
    const base = Option.getOrElse(settings.baseUrl, () => OPENAI_API_URL)
    const url = `${base}/models`
    const fail = (reason: LlmPreflightError["reason"], why: string) =>
      new LlmPreflightError({ reason, url, message: `LLM server check failed: GET ${url}: ${why}` })
    const client = yield* HttpClient.HttpClient
    const request = HttpClientRequest.get(url).pipe(
      HttpClientRequest.acceptJson,
      Option.isSome(settings.apiKey) ? HttpClientRequest.bearerToken(settings.apiKey.value) : (r) => r
    )
    const seconds = Math.min(PREFLIGHT_TIMEOUT_SECONDS, settings.timeoutSeconds)
    const response = yield* client.execute(request).pipe(
      Effect.timeoutFail({ duration: Duration.seconds(seconds), onTimeout: () => fail("Unreachable", `no answer within ${seconds} s`) }),
      Effect.mapError((error) =>
        error instanceof LlmPreflightError
          ? error
          : fail("Unreachable", `the server cannot be reached (${causeOf(error.cause)}); is it running, and is OPENAI_BASE_URL right?`)
      )
    )
    const body = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
    if (response.status === 401 || response.status === 403) {
      return yield* fail("HttpStatus", `HTTP ${response.status}: the server refused the API key (OPENAI_API_KEY): ${excerpt(body)}`)
    }
    if (response.status === 404) {
      return yield* fail("HttpStatus", `HTTP 404: no model list there; OPENAI_BASE_URL must be the API root, e.g. http://localhost:11434/v1`)
    }
    if (response.status < 200 || response.status >= 300) return yield* fail("HttpStatus", `HTTP ${response.status}: ${excerpt(body)}`)
    const models = Schema.decodeUnknownOption(Schema.parseJson(ModelList))(body)
    if (Option.isNone(models)) return yield* fail("BadResponse", `the answer is not a model list: ${excerpt(body)}`)
    const ids = models.value.data.map((m) => m.id)
    if (!ids.some((id) => sameModel(id, settings.model))) {
      const listed = ids.length === 0 ? "none" : `${ids.slice(0, 10).join(", ")}${ids.length > 10 ? `, … (${ids.length})` : ""}`
      return yield* fail("ModelNotFound", `the server does not serve OPENAI_MODEL=${settings.model} (it lists: ${listed})`)
    }
  }).pipe(Effect.scoped, Effect.withSpan("Enricher.preflight"))
