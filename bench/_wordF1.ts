export interface WordScore {
  readonly precision: number
  readonly recall: number
  readonly f1: number
}

// Python's `\w` on str: letters, numbers (any script) and the underscore; combining marks are not word characters.
const WORD = /[\p{L}\p{N}_]+/gu

/** The lowercased `\w+` tokens of a text, as the WCXB metric counts them. */
export const wordTokens = (text: string): ReadonlyArray<string> => text.toLowerCase().match(WORD) ?? []

const bag = (tokens: ReadonlyArray<string>) => {
  const counts = new Map<string, number>()
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1)
  return counts
}

/**
 * The WCXB benchmark's metric: bag-of-words overlap between prediction and reference. An empty reference
 * scores 1 only when the prediction is empty too.
 */
export const wordF1 = (prediction: string, reference: string): WordScore => {
  const predicted = wordTokens(prediction)
  const expected = wordTokens(reference)
  if (expected.length === 0) {
    const score = predicted.length === 0 ? 1 : 0
    return { precision: score, recall: score, f1: score }
  }
  if (predicted.length === 0) return { precision: 0, recall: 0, f1: 0 }
  const expectedBag = bag(expected)
  let overlap = 0
  for (const [token, count] of bag(predicted)) overlap += Math.min(count, expectedBag.get(token) ?? 0)
  const precision = overlap / predicted.length
  const recall = overlap / expected.length
  const f1 = overlap === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return { precision, recall, f1 }
}
