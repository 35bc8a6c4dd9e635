import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const available = fs
  .readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "main.ts" && !f.startsWith("_"))
  .map((f) => f.slice(0, -3))
  .sort()

const [name, ...rest] = process.argv.slice(2)
if (!name || !available.includes(name)) {
  console.error(`usage: pnpm bench <${available.join("|")}> [options]`)
  process.exit(name ? 2 : 0)
}
process.argv = [process.argv[0]!, path.join(here, `${name}.ts`), ...rest]
await import(pathToFileURL(path.join(here, `${name}.ts`)).href)
