import type { Segment } from "../../schema/Segment.js"
import type { IcpStructure } from "./IcpProfile.js"

/** The ICP's size band a head count falls in; `Unknown` without one. */
export const segmentForCount = (employees: number | null, size: IcpStructure["size"]): Segment => {
  if (employees === null) return "Unknown"
  for (const band of size.bands) {
    if (employees >= band.from && (band.below === undefined || employees < band.below)) return band.segment
  }
  return size.bands[size.bands.length - 1]!.segment
}

/** `SMB (< 200)`, `Mid-Market (200-999)`, `Enterprise (1000+)`: a band as the rationale names it. */
export const describeBand = (segment: Segment, size: IcpStructure["size"]): string => {
  const band = size.bands.find((b) => b.segment === segment)
  if (band === undefined) return segment
  if (band.below === undefined) return `${segment} (${band.from}+)`
  return band.from === 0 ? `${segment} (< ${band.below})` : `${segment} (${band.from}-${band.below - 1})`
}
