import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { sanitizeText } from "../schema/sanitizeText.js"
import { CompaniesVersion } from "./CompaniesVersion.js"
import type { OverridePatch } from "./OverridePatch.js"

export interface OverrideValues {
  readonly score: number | null
  readonly segment: string | null
  readonly status: string | null
  readonly note: string | null
}

export interface OverrideHistoryEntry extends OverrideValues {
  readonly author: string
  readonly created_at: string
}

/** A note as it is stored: sanitized, trimmed, and an empty one is no note. */
const storedNote = (note: string | null) => {
  if (note === null) return null
  const clean = sanitizeText(note).trim()
  return clean === "" ? null : clean
}

/**
 * People's corrections of the model's output (migration 0050): every change appends a row, the latest
 * being the current override; the pipeline never writes here.
 */
export class CompanyOverrides extends Effect.Service<CompanyOverrides>()("CompanyOverrides", {
  dependencies: [CompaniesVersion.Default],
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const versions = yield* CompaniesVersion

    /** None when there is no such company. Concurrent changes to one company are applied one after the other. */
    const apply = (companyId: number, patch: OverridePatch, author: string) =>
      sql.withTransaction(
        Effect.gen(function* () {
          const current = yield* sql<OverrideValues>`
            SELECT override_score AS score, override_segment AS segment, override_status AS status, override_note AS note
            FROM companies WHERE id = ${companyId} FOR UPDATE`
          const now = current[0]
          if (!now) return Option.none<{ values: OverrideValues; version: number }>()
          const next: OverrideValues = {
            score: "score" in patch ? (patch.score ?? null) : now.score,
            segment: "segment" in patch ? (patch.segment ?? null) : now.segment,
            status: "status" in patch ? (patch.status ?? null) : now.status,
            note: "note" in patch ? storedNote(patch.note ?? null) : now.note
          }
          yield* sql`INSERT INTO company_overrides ${sql.insert({
            company_id: companyId,
            ...next,
            author: sanitizeText(patch.author ?? author).trim() || author
          })}`
          const [bumped] = yield* sql<{ version: number }>`SELECT version FROM companies_version`
          return Option.some({ values: next, version: bumped?.version ?? 0 })
        })
      ).pipe(
        Effect.tap((applied) => (Option.isSome(applied) ? versions.advanceTo(applied.value.version) : Effect.void)),
        Effect.map(Option.map((applied) => applied.values))
      )

    const clear = (companyId: number, author: string) =>
      apply(companyId, { score: null, segment: null, status: null, note: null, author }, author)

    const history = (companyId: number) =>
      sql<OverrideHistoryEntry>`
        SELECT score, segment, status, note, author,
          to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
        FROM company_overrides WHERE company_id = ${companyId}
        ORDER BY id DESC
        LIMIT 100`

    return { apply, clear, history } as const
  })
}) {}
