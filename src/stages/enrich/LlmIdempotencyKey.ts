import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect, FiberRef, Layer, Option } from "effect"
import { globalValue } from "effect/GlobalValue"

/**
 * The idempotency key of the logical LLM call in progress, sent as `Idempotency-Key`: a distributed workflow
 * replayed after a runner died sends its call again under the same key, so a provider or gateway that honours
 * the header answers it once. Transient retries of one prompt share the key; a repair prompt gets its own.
 */
export const LlmIdempotencyKey = globalValue("LlmIdempotencyKey", () => FiberRef.unsafeMake(Option.none<string>()))

export const withLlmIdempotencyKey =
  (key: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(effect, LlmIdempotencyKey, Option.some(key))

/** Sub-calls of one logical call (the repair prompt after an invalid answer) get derived keys. */
export const deriveLlmIdempotencyKey =
  (suffix: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locallyWith(effect, LlmIdempotencyKey, Option.map((key) => `${key}-${suffix}`))

/** Wraps the HttpClient the LLM providers are built on: adds the header when a key is set. */
export const idempotentHttpClient = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) =>
    HttpClient.mapRequestEffect(client, (request) =>
      Effect.map(FiberRef.get(LlmIdempotencyKey), (key) =>
        Option.isSome(key) ? HttpClientRequest.setHeader(request, "Idempotency-Key", key.value) : request
      )
    )
  )
)
