import { Either } from "effect"
import * as fs from "node:fs"
import { type IcpProfile, parseIcpProfile } from "../../src/stages/enrich/IcpProfile.js"

export const icpPath = new URL("../../data/icp.md", import.meta.url)
export const icpText = fs.readFileSync(icpPath, "utf8")

/** data/icp.md parsed, as the Enricher reads it by default. */
export const defaultIcp: IcpProfile = Either.getOrThrowWith(parseIcpProfile(icpText, "data/icp.md"), (message) => new Error(message))
