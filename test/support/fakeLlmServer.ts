import { Effect, type Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { type ParsedPrompt, parseUserPrompt } from "../../src/stages/enrich/EnrichmentPrompt.js"
import { scoreHeuristically } from "../../src/stages/enrich/heuristicScore.js"
import { defaultIcp } from "./defaultIcp.js"

/**
 * A fake LLM server on 127.0.0.1 speaking both OpenAI APIs: `POST /v1/responses` (what @effect/ai-openai
 * uses) and `POST /v1/chat/completions` (OpenAI-compatible servers). By default it answers every company
 * with a valid, deterministic enrichment derived from the prompt (the heuristic rubric applied to the
 * prompt's <company> and <website_text> blocks), with usage token counts. A script makes it misbehave.
 */

export type FakeBehaviour =
  /** A schema-valid answer derived from the prompt. */
  | { readonly type: "valid" }
  /** This exact text as the model's answer (malformed JSON, prose...). */
  | { readonly type: "text"; readonly text: string }
  /** This value, serialized, as the model's answer (out-of-range values...). */
  | { readonly type: "object"; readonly value: unknown }
  /** An HTTP error (429 with Retry-After, 500...). */
  | {
      readonly type: "status"
      readonly status: number
      readonly headers?: Readonly<Record<string, string>>
      readonly body?: unknown
    }
  /** Wait this long (on top of the server's latency), then behave as `then` (default: valid). */
  | { readonly type: "delay"; readonly ms: number; readonly then?: FakeBehaviour }
  /** The model declines (Responses: a refusal content part; chat: message.refusal). */
  | { readonly type: "refusal"; readonly message: string }
  /** Drop the connection without answering. */
  | { readonly type: "hangup" }

export type FakeApi = "responses" | "chat"

export interface FakeLlmRequest {
  readonly api: FakeApi
  readonly path: string
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  /** The parsed JSON request body, as sent. */
  readonly body: any
  readonly messages: ReadonlyArray<{ readonly role: string; readonly content: string }>
  /** The company the prompt is about (read back from its blocks), if it has one. */
  readonly company: ParsedPrompt | undefined
}

/**
 * Behaviours in call order (then valid), or a function of the request and the 0-based call number
 * (undefined: valid). A function can script per company: `(r) => r.company?.company.domain === "x.com" ? ...`.
 */
export type FakeScript =
  | ReadonlyArray<FakeBehaviour>
  | ((request: FakeLlmRequest, call: number) => FakeBehaviour | undefined)

export interface FakeLlmServerOptions {
  /** Added to every answer. */
  readonly latencyMs?: number
  readonly script?: FakeScript
  /** `response_format` types /chat/completions accepts (others get a 400). Default: json_schema, json_object. */
  readonly chatResponseFormats?: ReadonlyArray<"json_schema" | "json_object">
  /** What `GET /v1/models` lists (default fake-model, fake-model-2, gpt-4.1-mini: the models tests use), or the status it answers with instead. */
  readonly models?: ReadonlyArray<string> | { readonly status: number }
}

export interface FakeLlmServer {
  /** Base URL ending in /v1. */
  readonly url: string
  readonly calls: () => number
  readonly requests: () => ReadonlyArray<FakeLlmRequest>
  /** The most API requests that were in progress at the same time. */
  readonly maxInFlight: () => number
  readonly close: Effect.Effect<void>
}

const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (!Array.isArray(content)) return ""
  return content
    .map((part: any) => (typeof part?.text === "string" ? part.text : typeof part === "string" ? part : ""))
    .join("")
}

const messagesOf = (api: FakeApi, body: any): Array<{ role: string; content: string }> => {
  const items: Array<any> = api === "chat" ? (body?.messages ?? []) : Array.isArray(body?.input) ? body.input : []
  const messages = items
    .filter((m) => typeof m?.role === "string")
    .map((m) => ({ role: String(m.role), content: textOf(m.content) }))
  if (api === "responses" && typeof body?.input === "string") messages.push({ role: "user", content: body.input })
  if (api === "responses" && typeof body?.instructions === "string") messages.unshift({ role: "system", content: body.instructions })
  return messages
}

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4))

/** What a compliant model answers: the rubric applied to the prompt's company. */
export const fakeValidAnswer = (company: ParsedPrompt | undefined): string =>
  JSON.stringify(
    scoreHeuristically(
      company === undefined
        ? { companyName: "Unknown company", employeeCount: 0, industry: null, websiteText: null }
        : {
            companyName: company.company.company_name,
            domain: company.company.domain,
            country: company.company.country,
            employeeCount: company.company.employee_count,
            industry: company.company.industry,
            websiteText: company.websiteText
          },
      defaultIcp.structure
    )
  )

const responsesBody = (request: FakeLlmRequest, call: number, answer: { text: string } | { refusal: string }) => {
  const inputTokens = tokens(request.messages.map((m) => m.content).join("\n"))
  const outputText = "text" in answer ? answer.text : answer.refusal
  return {
    id: `resp_${call}`,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    error: null,
    incomplete_details: null,
    instructions: null,
    model: String(request.body?.model ?? "fake-model"),
    output: [
      {
        id: `msg_${call}`,
        type: "message",
        role: "assistant",
        status: "completed",
        content:
          "text" in answer
            ? [{ type: "output_text", text: answer.text, annotations: [] }]
            : [{ type: "refusal", refusal: answer.refusal }]
      }
    ],
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    metadata: null,
    temperature: typeof request.body?.temperature === "number" ? request.body.temperature : 1,
    top_p: 1,
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: tokens(outputText),
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + tokens(outputText)
    }
  }
}

const chatBody = (request: FakeLlmRequest, call: number, answer: { text: string } | { refusal: string }) => {
  const inputTokens = tokens(request.messages.map((m) => m.content).join("\n"))
  const outputTokens = tokens("text" in answer ? answer.text : answer.refusal)
  return {
    id: `chatcmpl-${call}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: String(request.body?.model ?? "fake-model"),
    choices: [
      {
        index: 0,
        message:
          "text" in answer
            ? { role: "assistant", content: answer.text, refusal: null }
            : { role: "assistant", content: null, refusal: answer.refusal },
        finish_reason: "stop"
      }
    ],
    usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export const startFakeLlmServer = (
  options: FakeLlmServerOptions = {}
): Effect.Effect<FakeLlmServer, never, Scope.Scope> => {
  const latencyMs = options.latencyMs ?? 0
  const formats = options.chatResponseFormats ?? ["json_schema", "json_object"]
  const recorded: Array<FakeLlmRequest> = []
  let callCount = 0
  let inFlight = 0
  let maxInFlight = 0

  const pick = (request: FakeLlmRequest, call: number): FakeBehaviour => {
    const script = options.script
    if (script === undefined) return { type: "valid" }
    if (typeof script === "function") return script(request, call) ?? { type: "valid" }
    return (script as ReadonlyArray<FakeBehaviour>)[call] ?? { type: "valid" }
  }

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed) return
    res.writeHead(status, { "content-type": "application/json", ...headers })
    res.end(JSON.stringify(body))
  }

  const respond = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    request: FakeLlmRequest,
    call: number,
    behaviour: FakeBehaviour
  ): Promise<void> => {
    const answer = (a: { text: string } | { refusal: string }) =>
      json(res, 200, request.api === "chat" ? chatBody(request, call, a) : responsesBody(request, call, a))
    switch (behaviour.type) {
      case "valid":
        return answer({ text: fakeValidAnswer(request.company) })
      case "text":
        return answer({ text: behaviour.text })
      case "object":
        return answer({ text: JSON.stringify(behaviour.value) })
      case "refusal":
        return answer({ refusal: behaviour.message })
      case "status":
        return json(
          res,
          behaviour.status,
          behaviour.body ?? { error: { message: `scripted status ${behaviour.status}`, type: "fake_error" } },
          { ...behaviour.headers }
        )
      case "delay":
        await sleep(behaviour.ms)
        return respond(req, res, request, call, behaviour.then ?? { type: "valid" })
      case "hangup":
        req.socket.destroy()
        return
    }
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const path = (req.url ?? "/").split("?")[0]!
    if (req.method === "GET" && path === "/v1/models") {
      const models = options.models ?? ["fake-model", "fake-model-2", "gpt-4.1-mini"]
      if ("status" in models) return json(res, models.status, { error: { message: `scripted status ${models.status}` } })
      return json(res, 200, { object: "list", data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "fake" })) })
    }
    const api: FakeApi | undefined =
      req.method === "POST" && path === "/v1/responses"
        ? "responses"
        : req.method === "POST" && path === "/v1/chat/completions"
          ? "chat"
          : undefined
    if (api === undefined) return json(res, 404, { error: { message: `no route ${req.method} ${path}` } })
    let body: any
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
    } catch {
      return json(res, 400, { error: { message: "request body is not JSON" } })
    }
    const messages = messagesOf(api, body)
    const company = messages
      .filter((m) => m.role === "user")
      .map((m) => parseUserPrompt(m.content))
      .find((p) => p !== undefined)
    const request: FakeLlmRequest = { api, path, headers: req.headers, body, messages, company }
    recorded.push(request)
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    res.once("close", () => inFlight--)
    const call = callCount++
    if (latencyMs > 0) await sleep(latencyMs)
    const format = body?.response_format?.type
    if (api === "chat" && (format === "json_schema" || format === "json_object") && !formats.includes(format)) {
      return json(res, 400, {
        error: { message: `response_format type '${format}' is not supported by this server`, type: "invalid_request_error" }
      })
    }
    return respond(req, res, request, call, pick(request, call))
  }

  return Effect.acquireRelease(
    Effect.async<{ server: http.Server; url: string }>((resume) => {
      const server = http.createServer((req, res) => {
        handle(req, res).catch((error) => json(res, 500, { error: { message: String(error) } }))
      })
      server.keepAliveTimeout = 30_000
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ server, url: `http://127.0.0.1:${port}/v1` }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(
    Effect.map(({ server, url }) => ({
      url,
      calls: () => callCount,
      requests: () => recorded,
      maxInFlight: () => maxInFlight,
      close: Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
    }))
  )
}
