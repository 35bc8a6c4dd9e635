/**
 * A bounded least-recently-used map whose entries are each valid at one data version only: a lookup at any
 * other version misses. With the version read from the database in the same snapshot as the data, a hit
 * is exactly what a fresh query would return.
 */
export interface VersionedCache<A> {
  readonly get: (key: string, version: number) => A | undefined
  readonly set: (key: string, version: number, value: A) => void
  readonly bytes: () => number
  readonly size: () => number
}

export const makeVersionedCache = <A>(options: {
  readonly maxEntries: number
  readonly maxBytes: number
  readonly sizeOf: (value: A) => number
}): VersionedCache<A> => {
  const entries = new Map<string, { readonly version: number; readonly value: A; readonly bytes: number }>()
  let bytes = 0
  const remove = (key: string) => {
    const entry = entries.get(key)
    if (!entry) return
    entries.delete(key)
    bytes -= entry.bytes
  }
  return {
    get: (key, version) => {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (entry.version !== version) {
        remove(key)
        return undefined
      }
      // Re-inserting moves the key to the young end of the Map's insertion order.
      entries.delete(key)
      entries.set(key, entry)
      return entry.value
    },
    set: (key, version, value) => {
      const size = options.sizeOf(value) + key.length
      remove(key)
      if (options.maxEntries <= 0 || size > options.maxBytes) return
      while (entries.size >= options.maxEntries || bytes + size > options.maxBytes) {
        const oldest = entries.keys().next()
        if (oldest.done) break
        remove(oldest.value)
      }
      entries.set(key, { version, value, bytes: size })
      bytes += size
    },
    bytes: () => bytes,
    size: () => entries.size
  }
}
