import { ParseResult, Schema } from "effect"
import { ModelOutput } from "./ModelOutput.js"

/** Why the schema rejected an answer, in full, to feed back to the model. */
export const describeInvalidOutput = (raw: string): string => {
  if (raw.trim() === "") return "The answer was empty."
  try {
    JSON.parse(raw)
  } catch (cause) {
    return `The answer is not valid JSON (${(cause as Error).message}).`
  }
  const decoded = Schema.decodeUnknownEither(Schema.parseJson(ModelOutput))(raw, { errors: "all" })
  if (decoded._tag === "Right") return "The answer did not match the schema."
  const text = ParseResult.TreeFormatter.formatErrorSync(decoded.left)
  return text.length <= 2000 ? text : `${text.slice(0, 2000)}…`
}
