import { Schema } from "effect"
import * as fs from "node:fs"
import { packageFile } from "../../config/packageFile.js"
import { getDomain } from "tldts"

const Platform = Schema.Struct({
  name: Schema.NonEmptyString,
  kind: Schema.NonEmptyString,
  hosts: Schema.optional(Schema.Array(Schema.NonEmptyString)),
  paths: Schema.optional(Schema.Array(Schema.NonEmptyString)),
  prefixes: Schema.optional(Schema.Array(Schema.String))
})

const PlatformsFile = Schema.Struct({
  platforms: Schema.Array(Platform),
  hostingSuffixes: Schema.Array(Schema.NonEmptyString)
})

export interface PlatformMatch {
  readonly name: string
  readonly kind: string
}

interface PathRule extends PlatformMatch {
  /** Lowercase path prefixes that make a profile; undefined: any path but `/`. */
  readonly prefixes: ReadonlyArray<string> | undefined
}

/**
 * The shared platforms of data/platforms.json, indexed for the per-row check: a host (or a parent of it) that is
 * itself a listing service, a registrable domain whose paths are profiles, and hosting suffixes the Public Suffix
 * List lacks.
 */
export class PlatformRules {
  private readonly hosts = new Map<string, PlatformMatch>()
  private readonly paths = new Map<string, PathRule>()
  private readonly suffixes: ReadonlySet<string>
  /** Registrable domains any rule is about: one look-up spares every other row the rest. */
  private readonly domains = new Set<string>()

  constructor(file: typeof PlatformsFile.Type) {
    for (const platform of file.platforms) {
      const match = { name: platform.name, kind: platform.kind }
      for (const host of platform.hosts ?? []) this.hosts.set(host.toLowerCase(), match)
      for (const domain of platform.paths ?? []) {
        this.paths.set(domain.toLowerCase(), { ...match, prefixes: platform.prefixes?.map((p) => p.toLowerCase()) })
      }
    }
    this.suffixes = new Set(file.hostingSuffixes.map((s) => s.toLowerCase()))
    for (const host of this.hosts.keys()) this.domains.add(getDomain(host, { allowPrivateDomains: true }) ?? host)
    for (const domain of this.paths.keys()) this.domains.add(domain)
    for (const domain of this.suffixes) this.domains.add(domain)
  }

  /** Whether any rule concerns this registrable domain (most rows: no). */
  concerns(domain: string): boolean {
    return this.domains.has(domain)
  }

  static fromJson(text: string, source: string): PlatformRules {
    const decoded = Schema.decodeUnknownEither(Schema.parseJson(PlatformsFile))(text)
    if (decoded._tag === "Left") throw new Error(`${source}: ${decoded.left.message}`)
    return new PlatformRules(decoded.right)
  }

  /** The platform when `host` is, or is under, a listed platform host (apps.apple.com, lnkd.in). */
  hostPlatform(host: string): PlatformMatch | undefined {
    for (let rest = host; ; ) {
      const found = this.hosts.get(rest)
      if (found !== undefined) return found
      const dot = rest.indexOf(".")
      if (dot === -1) return undefined
      rest = rest.slice(dot + 1)
    }
  }

  /** The platform when `path` on the registrable `domain` is a profile (facebook.com/acme, ycombinator.com/companies/x). */
  pathPlatform(domain: string, path: string): PlatformMatch | undefined {
    const rule = this.paths.get(domain)
    if (rule === undefined) return undefined
    const lower = path.toLowerCase()
    if (lower === "" || lower === "/") return undefined
    if (rule.prefixes === undefined) return rule
    return rule.prefixes.some((p) => lower.startsWith(p)) ? rule : undefined
  }

  /** Whether tenants of `domain` get their own subdomain (wordpress.com, squarespace.com). */
  isHostingSuffix(domain: string): boolean {
    return this.suffixes.has(domain)
  }
}

const PLATFORMS_FILE = packageFile("data", "platforms.json")

/** The maintained list shipped in data/platforms.json, read once. */
export const platformRules: PlatformRules = PlatformRules.fromJson(fs.readFileSync(PLATFORMS_FILE, "utf8"), "data/platforms.json")
