import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const findPackageRoot = (): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`)
    dir = parent
  }
  return dir
}

// Found by walking up rather than by a fixed "../..": the same code runs from src/ (tsx, vitest) and from the
// bundle in dist/bin/, which sit at different depths.
const packageRoot = findPackageRoot()

/** A file shipped with the package (data/, migrations/), by its path from the package root. */
export const packageFile = (...segments: ReadonlyArray<string>): string => path.join(packageRoot, ...segments)
