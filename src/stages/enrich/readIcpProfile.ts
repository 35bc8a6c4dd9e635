import { Effect } from "effect"
import * as fs from "node:fs/promises"
import { EnricherSetupError } from "./EnricherSetupError.js"

export const readIcpProfile = (path: string) =>
  Effect.tryPromise({
    try: () => fs.readFile(path, "utf8"),
    catch: (cause) => new EnricherSetupError({ message: `ICP_PROFILE: cannot read '${path}': ${(cause as Error).message}` })
  }).pipe(
    Effect.filterOrFail(
      (text) => text.trim() !== "",
      () => new EnricherSetupError({ message: `ICP_PROFILE: '${path}' is empty` })
    )
  )
