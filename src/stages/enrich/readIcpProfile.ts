import { Effect, Either } from "effect"
import * as fs from "node:fs/promises"
import { EnricherSetupError } from "./EnricherSetupError.js"
import { type IcpProfile, parseIcpProfile } from "./IcpProfile.js"

/** ICP text (as read from `source`) parsed and validated; an error names the variable, the file and the line. */
export const icpProfileFromText = (text: string, source: string): Effect.Effect<IcpProfile, EnricherSetupError> =>
  text.trim() === ""
    ? Effect.fail(new EnricherSetupError({ message: `ICP_PROFILE: '${source}' is empty` }))
    : Either.match(parseIcpProfile(text, source), {
        onLeft: (message) => Effect.fail(new EnricherSetupError({ message: `ICP_PROFILE: ${message}` })),
        onRight: Effect.succeed
      })

/** The ICP file: read at start, its structured part validated. */
export const readIcpProfile = (path: string): Effect.Effect<IcpProfile, EnricherSetupError> =>
  Effect.tryPromise({
    try: () => fs.readFile(path, "utf8"),
    catch: (cause) => new EnricherSetupError({ message: `ICP_PROFILE: cannot read '${path}': ${(cause as Error).message}` })
  }).pipe(Effect.flatMap((text) => icpProfileFromText(text, path)))
