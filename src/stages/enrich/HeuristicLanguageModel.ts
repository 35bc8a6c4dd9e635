import * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Response from "@effect/ai/Response"
import { Effect, Stream } from "effect"
import { parseUserPrompt } from "./EnrichmentPrompt.js"
import { scoreHeuristically } from "./heuristicScore.js"
import type { IcpStructure } from "./IcpProfile.js"
import { messageText } from "./promptText.js"
import { streamingUnsupported } from "./streamingUnsupported.js"

/**
 * The offline scorer behind the same `LanguageModel` interface as the remote providers: it reads the company
 * back from the prompt's blocks (never obeying the page text, only matching keywords in it) and answers with
 * the rubric's JSON, which `generateObject` then decodes like any model's answer.
 */
export const makeHeuristicLanguageModel = (icp: IcpStructure) => Effect.suspend(() => {
  const generateText = (options: LanguageModel.ProviderOptions) =>
    Effect.gen(function* () {
      const parsed = options.prompt.content
        .filter((m) => m.role === "user")
        .map((m) => parseUserPrompt(messageText(m)))
        .find((p) => p !== undefined)
      if (parsed === undefined) {
        return yield* new AiError.MalformedInput({
          module: "HeuristicLanguageModel",
          method: "generateText",
          description: "The prompt has no <company> block to score"
        })
      }
      const output = scoreHeuristically(
        {
          companyName: parsed.company.company_name,
          domain: parsed.company.domain,
          country: parsed.company.country,
          employeeCount: parsed.company.employee_count,
          industry: parsed.company.industry,
          websiteText: parsed.websiteText
        },
        icp
      )
      const parts: Array<Response.PartEncoded> = [
        { type: "text", text: JSON.stringify(output) },
        { type: "finish", reason: "stop", usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } }
      ]
      return parts
    })
  return LanguageModel.make({
    generateText,
    streamText: () => Stream.fail(streamingUnsupported("HeuristicLanguageModel"))
  })
})
