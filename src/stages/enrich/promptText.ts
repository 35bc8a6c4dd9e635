import type * as Prompt from "@effect/ai/Prompt"

/** The plain text of one message (file and tool parts carry no text for our purposes). */
export const messageText = (message: Prompt.Message): string => {
  if (message.role === "system") return message.content
  if (message.role === "tool") return ""
  return message.content.map((part) => (part.type === "text" ? part.text : "")).join("")
}

