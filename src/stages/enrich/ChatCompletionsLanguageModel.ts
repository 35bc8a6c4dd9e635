import * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Response from "@effect/ai/Response"
import { Tool } from "@effect/ai"
import { HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect, Either, Option, ParseResult, Redacted, Ref, Schema, Stream } from "effect"
import { sanitizeText } from "../../schema/sanitizeText.js"
import { messageText } from "./promptText.js"
import { streamingUnsupported } from "./streamingUnsupported.js"

/**
 * A `LanguageModel` over any server speaking the Chat Completions API (Ollama, vLLM, llama.cpp server,
 * LM Studio). Structured output is asked for with `response_format: json_schema`; a server that rejects that
 * is asked for JSON mode, and one that rejects both gets the schema in the prompt only (it is always there
 * too, for servers that silently ignore `response_format`). The step down is remembered for later calls.
 */
export interface ChatCompletionsOptions {
  /** Base URL up to the API version, e.g. http://localhost:11434/v1 */
  readonly baseUrl: string
  readonly apiKey: Option.Option<Redacted.Redacted>
  readonly model: string
  readonly temperature: number
  readonly maxTokens: number
}

export type JsonMode = "json_schema" | "json_object" | "prompt"

const ChatCompletion = Schema.Struct({
  model: Schema.optional(Schema.NullishOr(Schema.String)),
  choices: Schema.Array(
    Schema.Struct({
      message: Schema.Struct({
        content: Schema.optional(Schema.NullishOr(Schema.String)),
        refusal: Schema.optional(Schema.NullishOr(Schema.String))
      }),
      finish_reason: Schema.optional(Schema.NullishOr(Schema.String))
    })
  ),
  usage: Schema.optional(
    Schema.NullishOr(
      Schema.Struct({
        prompt_tokens: Schema.optional(Schema.NullishOr(Schema.Number)),
        completion_tokens: Schema.optional(Schema.NullishOr(Schema.Number))
      })
    )
  )
})

const BODY_EXCERPT_CHARS = 300

const bodyExcerpt = (body: string) => {
  const flat = sanitizeText(body).replace(/\s+/g, " ").trim()
  if (flat === "") return "(empty)"
  return flat.length <= BODY_EXCERPT_CHARS ? flat : `${flat.slice(0, BODY_EXCERPT_CHARS)}…`
}

type Choice = (typeof ChatCompletion.Type)["choices"][number]
type Completion = typeof ChatCompletion.Type & { readonly choices: readonly [Choice, ...Array<Choice>] }

/**
 * A 200 answer's body as a completion, or one readable sentence about what is wrong with it, the body (truncated)
 * after it: a schema dump of the envelope helps nobody read a server's mistake.
 */
export const decodeCompletion = (body: string): Either.Either<Completion, string> => {
  const said = (what: string) => Either.left(`the server answered 200 ${what}; body: ${bodyExcerpt(body)}`)
  if (body.trim() === "") return said("with an empty body")
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return said("with a body that is not JSON")
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return said("with JSON that is not an object")
  const error = (json as { error?: { message?: unknown } }).error
  if (error !== undefined && error !== null) {
    const message = typeof error === "object" && typeof error.message === "string" ? `: ${error.message}` : ""
    return said(`with an error instead of a completion${bodyExcerpt(message).slice(0, 200)}`)
  }
  if (!("choices" in json)) return said("with no choices field")
  const decoded = Schema.decodeUnknownEither(ChatCompletion)(json)
  if (Either.isLeft(decoded)) {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]
    return said(`with a completion of the wrong shape (${issue === undefined ? "unreadable" : `${issue.path.join(".")}: ${issue.message}`})`)
  }
  const completion = decoded.right
  if (completion.choices.length === 0) return said("with no choices")
  return Either.right(completion as Completion)
}

const finishReasons: Record<string, Response.FinishReason> = {
  stop: "stop",
  length: "length",
  content_filter: "content-filter",
  tool_calls: "tool-calls",
  function_call: "tool-calls"
}

/** Local models like to wrap JSON in a code fence or lead with their reasoning; the JSON is what counts. */
export const unwrapJsonText = (content: string): string =>
  content
    .replace(/^\s*<think>[\s\S]*?<\/think>/i, "")
    .trim()
    .replace(/^```(?:json)?\s*\n?([\s\S]*?)\n?```$/i, "$1")
    .trim()

const nextMode: Record<JsonMode, JsonMode | undefined> = { json_schema: "json_object", json_object: "prompt", prompt: undefined }

/** A 400/422 that complains about the output format: the server does not support this JSON mode. */
const rejectsFormat = (error: AiError.AiError): boolean =>
  error._tag === "HttpResponseError" &&
  (error.response.status === 400 || error.response.status === 422) &&
  /response_format|json_schema|json_object|schema|format/i.test(`${error.description ?? ""} ${error.body ?? ""}`)

export const schemaInstructions = (jsonSchema: unknown) =>
  `Your answer must be a single JSON object valid against this JSON Schema:\n${JSON.stringify(jsonSchema)}`

const renderedSchemas = new WeakMap<object, { readonly jsonSchema: unknown; readonly instructions: string }>()
/** The JSON Schema of the requested object and its prompt text, rendered once per schema. */
const renderSchema = (schema: Schema.Schema.Any) => {
  let rendered = renderedSchemas.get(schema.ast)
  if (rendered === undefined) {
    const jsonSchema = Tool.getJsonSchemaFromSchemaAst(schema.ast)
    rendered = { jsonSchema, instructions: schemaInstructions(jsonSchema) }
    renderedSchemas.set(schema.ast, rendered)
  }
  return rendered
}

export const makeChatCompletionsLanguageModel = (options: ChatCompletionsOptions) =>
  Effect.gen(function* () {
    const base = yield* HttpClient.HttpClient
    const client = base.pipe(
      HttpClient.mapRequest((request) =>
        request.pipe(
          HttpClientRequest.prependUrl(options.baseUrl),
          Option.isSome(options.apiKey) ? HttpClientRequest.bearerToken(options.apiKey.value) : (r) => r,
          HttpClientRequest.acceptJson
        )
      ),
      HttpClient.filterStatusOk
    )
    const mode = yield* Ref.make<JsonMode>("json_schema")

    const post = (body: Record<string, unknown>) =>
      client.post("/chat/completions", { body: HttpBody.unsafeJson(body) }).pipe(
        Effect.flatMap((response) => response.text),
        Effect.flatMap((text) =>
          Either.match(decodeCompletion(text), {
            onLeft: (description) =>
              Effect.fail(new AiError.MalformedOutput({ module: "ChatCompletions", method: "create", description })),
            onRight: Effect.succeed
          })
        ),
        Effect.scoped,
        Effect.catchTags({
          RequestError: (error) =>
            Effect.fail(AiError.HttpRequestError.fromRequestError({ module: "ChatCompletions", method: "create", error })),
          ResponseError: (error) =>
            AiError.HttpResponseError.fromResponseError({ module: "ChatCompletions", method: "create", error })
        })
      )

    const request = (providerOptions: LanguageModel.ProviderOptions, current: JsonMode) => {
      const format = providerOptions.responseFormat
      const rendered = format.type === "json" ? renderSchema(format.schema) : undefined
      const messages = providerOptions.prompt.content
        .filter((m) => m.role !== "tool")
        .map((m) => ({ role: m.role, content: messageText(m) }))
      if (rendered !== undefined) messages.push({ role: "system", content: rendered.instructions })
      const responseFormat =
        format.type !== "json" || current === "prompt"
          ? undefined
          : current === "json_object"
            ? { type: "json_object" }
            : { type: "json_schema", json_schema: { name: format.objectName, schema: rendered?.jsonSchema, strict: true } }
      return post({
        model: options.model,
        messages,
        temperature: options.temperature,
        max_tokens: options.maxTokens,
        stream: false,
        ...(responseFormat ? { response_format: responseFormat } : {})
      })
    }

    const complete = (providerOptions: LanguageModel.ProviderOptions): ReturnType<typeof request> =>
      Effect.flatMap(Ref.get(mode), (current) =>
        request(providerOptions, current).pipe(
          Effect.catchIf(
            (error) => providerOptions.responseFormat.type === "json" && rejectsFormat(error) && nextMode[current] !== undefined,
            () =>
              Ref.set(mode, nextMode[current]!).pipe(
                Effect.zipRight(Effect.logWarning(`The LLM server rejected response_format ${current}; using ${nextMode[current]}`)),
                Effect.zipRight(complete(providerOptions))
              )
          )
        )
      )

    const generateText = (providerOptions: LanguageModel.ProviderOptions) =>
      Effect.map(complete(providerOptions), (completion) => {
        const choice = completion.choices[0]
        const parts: Array<Response.PartEncoded> = []
        if (choice.message.refusal) {
          parts.push({ type: "text", text: "", metadata: { openai: { refusal: choice.message.refusal } } })
        } else {
          parts.push({ type: "text", text: unwrapJsonText(choice.message.content ?? "") })
        }
        const inputTokens = completion.usage?.prompt_tokens ?? undefined
        const outputTokens = completion.usage?.completion_tokens ?? undefined
        parts.push({
          type: "finish",
          reason: finishReasons[choice.finish_reason ?? "stop"] ?? "unknown",
          usage: {
            inputTokens,
            outputTokens,
            totalTokens: inputTokens === undefined && outputTokens === undefined ? undefined : (inputTokens ?? 0) + (outputTokens ?? 0)
          }
        })
        return parts
      })

    return yield* LanguageModel.make({
      generateText,
      streamText: () => Stream.fail(streamingUnsupported("ChatCompletions"))
    })
  })
