import { Either } from "effect"

/**
 * An opaque keyset position: the sort it belongs to, the last row's sort key and its id. Clients get it as
 * base64url text and hand it back unchanged; anything else is refused with a 400, never passed to SQL.
 */
export interface Cursor {
  readonly scope: string
  readonly key: number | string
  readonly id: number
}

const VERSION = 1
const MAX_LENGTH = 2048

export const encodeCursor = (cursor: Cursor): string =>
  Buffer.from(JSON.stringify([VERSION, cursor.scope, cursor.key, cursor.id]), "utf8").toString("base64url")

const invalid = "is not a valid cursor; pass the next_cursor of a previous response unchanged"

export const decodeCursor = (raw: string): Either.Either<Cursor, string> => {
  if (raw === "" || raw.length > MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(raw)) return Either.left(invalid)
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"))
  } catch {
    return Either.left(invalid)
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) return Either.left(invalid)
  const [version, scope, key, id] = parsed as Array<unknown>
  if (version !== VERSION || typeof scope !== "string") return Either.left(invalid)
  if (!(typeof key === "string" || (typeof key === "number" && Number.isSafeInteger(key)))) return Either.left(invalid)
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) return Either.left(invalid)
  return Either.right({ scope, key, id })
}
