import * as AiError from "@effect/ai/AiError"

/** The enrich stage only asks for whole answers; our own models do not stream. */
export const streamingUnsupported = (module: string) =>
  new AiError.UnknownError({ module, method: "streamText", description: "Streaming is not supported by this model" })
