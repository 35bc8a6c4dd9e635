const INITIAL_SLOTS = 1 << 12
/** High for open addressing, affordable because the tags in the slots spare almost every probe a look at the entries. */
const MAX_LOAD = 0.85
const ENTRY_BITS = 26
const TAG_SHIFT = ENTRY_BITS
const ENTRY_MASK = (1 << ENTRY_BITS) - 1
/** Entries per segment: entries live in fixed segments, so growing never copies them nor leaves slack. */
const SEGMENT_BITS = 16
const SEGMENT_SIZE = 1 << SEGMENT_BITS
const SEGMENT_MASK = SEGMENT_SIZE - 1

/**
 * The line each domain was first seen on, in about 17 bytes a domain instead of a string each.
 *
 * Each domain is kept as a 64-bit hash beside its first line (12 bytes, in fixed-size typed-array segments), found
 * through an open-addressing table (linear probing) of 4-byte slots holding the entry number and 6 more bits of the
 * hash as a tag.
 *
 * Why a hash and not the domain: a Set of a million domain strings costs ~100 MB, this ~17 MB, and the ingest
 * memory target (flat from 100k to 1M rows) leaves no room for the strings. Two different domains share a 64-bit
 * hash with probability about n²/2⁶⁵ (≈3·10⁻⁸ for a million domains, ≈3·10⁻⁶ for ten million); the only
 * consequence would be one company reported as a duplicate of another.
 */
export class DomainIndex {
  /** (tag << 26 | entry + 1) per slot; 0 marks a free slot. */
  private slots = new Uint32Array(INITIAL_SLOTS)
  private readonly hashSegments: Array<Uint32Array> = []
  private readonly lineSegments: Array<Uint32Array> = []
  private count = 0

  get size(): number {
    return this.count
  }

  /** The line the domain was first recorded on, or null after recording `line` as its first. */
  firstLineOrAdd(domain: string, line: number): number | null {
    hash64(domain)
    const high = hashHigh
    const low = hashLow
    const tag = high >>> TAG_SHIFT
    const mask = this.slots.length - 1
    let slot = home(high, low) & mask
    for (;;) {
      const value = this.slots[slot]!
      if (value === 0) break
      if (value >>> TAG_SHIFT === tag) {
        const entry = (value & ENTRY_MASK) - 1
        const hashes = this.hashSegments[entry >>> SEGMENT_BITS]!
        const at = (entry & SEGMENT_MASK) * 2
        if (hashes[at] === high && hashes[at + 1] === low) return this.lineSegments[entry >>> SEGMENT_BITS]![entry & SEGMENT_MASK]!
      }
      slot = (slot + 1) & mask
    }
    const entry = this.count
    if (entry >= ENTRY_MASK) throw new Error(`DomainIndex holds at most ${ENTRY_MASK - 1} domains`)
    const offset = entry & SEGMENT_MASK
    if (offset === 0) {
      this.hashSegments.push(new Uint32Array(SEGMENT_SIZE * 2))
      this.lineSegments.push(new Uint32Array(SEGMENT_SIZE))
    }
    const hashes = this.hashSegments[entry >>> SEGMENT_BITS]!
    hashes[offset * 2] = high
    hashes[offset * 2 + 1] = low
    this.lineSegments[entry >>> SEGMENT_BITS]![offset] = line
    this.count++
    this.slots[slot] = ((tag << TAG_SHIFT) | (entry + 1)) >>> 0
    if (this.count > this.slots.length * MAX_LOAD) this.growSlots()
    return null
  }

  private growSlots() {
    const slots = new Uint32Array(this.slots.length * 2)
    const mask = slots.length - 1
    for (let entry = 0; entry < this.count; entry++) {
      const hashes = this.hashSegments[entry >>> SEGMENT_BITS]!
      const at = (entry & SEGMENT_MASK) * 2
      const high = hashes[at]!
      let slot = home(high, hashes[at + 1]!) & mask
      while (slots[slot] !== 0) slot = (slot + 1) & mask
      slots[slot] = ((high & ~ENTRY_MASK) | (entry + 1)) >>> 0
    }
    this.slots = slots
  }
}

const home = (high: number, low: number) => low ^ Math.imul(high, 0x9e3779b1)

let hashHigh = 0
let hashLow = 0

/** Two 32-bit lanes (cyrb53's mixing, kept to the full 64 bits), left in hashHigh/hashLow. */
const hash64 = (text: string): void => {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  hashHigh = h1 >>> 0
  hashLow = h2 >>> 0
}
