import type { EnrichmentHistoryEntry, ScrapeDetails } from "../CompanyQueries.js"
import type { OverrideHistoryEntry } from "../CompanyOverrides.js"
import { segmentValues } from "../CompanyListQuery.js"
import { CSRF_FIELD } from "../PageSession.js"
import { qualificationStatusValues } from "../QualificationStatus.js"
import type { Company } from "../ResponseSchemas.js"
import { highlightQuotes } from "./highlightQuotes.js"
import { Layout, ScoreBadge, type Thresholds } from "./Layout.js"

type CompanyJson = typeof Company.Type

export interface OverrideFormValues {
  readonly score: string
  readonly segment: string
  readonly status: string
  readonly note: string
  readonly author: string
}

export interface CompanyPageProps {
  readonly company: CompanyJson
  readonly scrape: ScrapeDetails | undefined
  readonly enrichments: ReadonlyArray<EnrichmentHistoryEntry>
  readonly overrides: ReadonlyArray<OverrideHistoryEntry>
  readonly thresholds: Thresholds
  readonly csrf: string
  readonly logoutCsrf?: string | undefined
  readonly notice?: string | undefined
  readonly error?: string | undefined
  /** What the person typed, shown again when it was refused. */
  readonly form?: OverrideFormValues | undefined
}

const dash = (value: string | number | null | undefined) => (value === null || value === undefined || value === "" ? "—" : String(value))

const when = (iso: string | null | undefined) => (iso ? <time datetime={iso}>{iso.replace("T", " ").replace(/\.\d+Z$/, " UTC")}</time> : "—")

const Field = (props: { readonly label: string; readonly children?: unknown }) => (
  <>
    <dt>{props.label}</dt>
    <dd>{props.children as any}</dd>
  </>
)

const WebsiteText = (props: { readonly text: string; readonly quotes: ReadonlyArray<string> }) => (
  <div class="website-text panel" tabindex={0} aria-label="Website text, verified quotes highlighted">
    {highlightQuotes(props.text, props.quotes).map((part) =>
      part.quote === undefined ? part.text : <mark data-quote={part.quote}>{part.text}</mark>
    )}
  </div>
)

export const CompanyPage = (props: CompanyPageProps) => {
  const { company, scrape, thresholds } = props
  const verified = company.score_rationale.filter((r) => r.verified && r.quote).map((r) => r.quote!)
  const websiteText = scrape?.text ?? company.website_text_snippet
  const form: OverrideFormValues = props.form ?? {
    score: company.override?.score == null ? "" : String(company.override.score),
    segment: company.override?.segment ?? "",
    status: company.override?.status ?? "",
    note: company.override?.note ?? "",
    author: ""
  }
  return (
    <Layout title={company.company_name} section="leads" logoutCsrf={props.logoutCsrf}>
      <p>
        <a href="/app">« All leads</a>
      </p>
      <h1>
        {company.company_name} <ScoreBadge score={company.effective.score} thresholds={thresholds} />
      </h1>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.error ? (
        <p class="notice error" role="alert">
          {props.error}
        </p>
      ) : null}
      <div class="grid2">
        <div>
          <section class="panel" aria-labelledby="profile">
            <h2 id="profile">Profile</h2>
            <dl class="fields">
              <Field label="Domain">
                <a href={`https://${company.domain}/`} rel="noopener noreferrer nofollow" target="_blank">
                  {company.domain}
                </a>
              </Field>
              <Field label="Country">
                {dash(company.country_name ?? company.country)}
                {company.country && company.country !== company.country_name ? <span class="count"> (input: {company.country})</span> : null}
              </Field>
              <Field label="Country code">{dash(company.country_code)}</Field>
              <Field label="Industry">{dash(company.industry_raw)}</Field>
              <Field label="Employees">{company.employee_count === null ? "—" : company.employee_count.toLocaleString("en-US")}</Field>
              <Field label="Effective score">
                <ScoreBadge score={company.effective.score} thresholds={thresholds} />
              </Field>
              <Field label="Model score">{dash(company.icp_fit_score)}</Field>
              <Field label="Effective segment">{dash(company.effective.segment)}</Field>
              <Field label="Model segment">{dash(company.segment)}</Field>
              <Field label="Qualification">{dash(company.effective.status)}</Field>
              <Field label="Confidence">{company.confidence === null ? "—" : `${Math.round(company.confidence * 100)}%`}</Field>
              <Field label="Primary use case">{dash(company.primary_use_case)}</Field>
              <Field label="Enrichment">
                <span class={`status-${company.enrichment_status}`}>{company.enrichment_status}</span>
                {company.enrichment_error ? ` — ${company.enrichment_error}` : ""}
              </Field>
              <Field label="Provider / model">
                {dash(company.enrichment_provider)} / {dash(company.enrichment_model)} (prompt {dash(company.prompt_version)})
              </Field>
              <Field label="Enriched">{when(company.enriched_at)}</Field>
              <Field label="Created">{when(company.created_at)}</Field>
              <Field label="Updated">{when(company.updated_at)}</Field>
            </dl>
          </section>

          <section class="panel" aria-labelledby="pitch-title">
            <h2 id="pitch-title">Pitch</h2>
            {company.personalized_pitch ? (
              <div class="actions">
                <p id="pitch">{company.personalized_pitch}</p>
                <button type="button" class="secondary" data-copy="pitch" aria-label="Copy the pitch">
                  Copy
                </button>
              </div>
            ) : (
              <p class="count">No pitch yet.</p>
            )}
          </section>

          <section class="panel" aria-labelledby="rationale">
            <h2 id="rationale">Why this score</h2>
            {company.score_rationale.length === 0 ? (
              <p class="count">No rationale yet.</p>
            ) : (
              <ol>
                {company.score_rationale.map((reason) => (
                  <li>
                    {reason.reason}
                    {reason.quote ? (
                      <div>
                        {reason.verified ? <mark>“{reason.quote}”</mark> : <q>{reason.quote}</q>}{" "}
                        <span class="tag">{reason.verified ? "verified on the website" : "not found on the website"}</span>
                      </div>
                    ) : null}
                  </li>
                ))}
              </ol>
            )}
            <h2>Risk flags</h2>
            {company.risk_flags.length === 0 ? (
              <p class="count">None.</p>
            ) : (
              <ul>
                {company.risk_flags.map((flag) => (
                  <li>{flag}</li>
                ))}
              </ul>
            )}
          </section>

          <section aria-labelledby="website">
            <h2 id="website">Website text</h2>
            <dl class="fields panel">
              <Field label="Scrape status">
                <span class={`status-${company.scraping_status}`}>{company.scraping_status}</span>
                {scrape?.http_status ? ` (HTTP ${scrape.http_status})` : ""}
              </Field>
              <Field label="Final URL">
                {scrape?.final_url ?? company.website_url ? (
                  <a href={(scrape?.final_url ?? company.website_url)!} rel="noopener noreferrer nofollow" target="_blank">
                    {scrape?.final_url ?? company.website_url}
                  </a>
                ) : (
                  "—"
                )}
              </Field>
              <Field label="Error">{dash(company.scraping_error)}</Field>
              <Field label="Fetched">{when(scrape?.fetched_at ?? company.scraped_at)}</Field>
            </dl>
            {websiteText ? <WebsiteText text={websiteText} quotes={verified} /> : <p class="count">No website text.</p>}
          </section>
        </div>

        <div>
          <section class="panel" aria-labelledby="override-title">
            <h2 id="override-title">Your override</h2>
            <p class="count">
              {company.override
                ? `Set by ${company.override.author} at ${company.override.updated_at.replace("T", " ").replace(/\.\d+Z$/, " UTC")}. Pipeline runs never change it.`
                : "None: the model's values apply."}
            </p>
            <form method="post" action={`/app/companies/${company.id}/override`} class="filters" aria-label="Override">
              <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
              <label>
                Score (0–100)
                <input type="number" name="score" min={0} max={100} inputmode="numeric" value={form.score} placeholder={dash(company.icp_fit_score)} />
              </label>
              <label>
                Segment
                <select name="segment">
                  <option value="">model's ({dash(company.segment)})</option>
                  {segmentValues.map((value) => (
                    <option value={value} selected={form.segment === value}>
                      {value}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Qualification
                <select name="status">
                  <option value="">none</option>
                  {qualificationStatusValues.map((value) => (
                    <option value={value} selected={form.status === value}>
                      {value}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Your name
                <input type="text" name="author" value={form.author} maxlength={100} placeholder="workspace" autocomplete="name" />
              </label>
              <label style="grid-column: 1 / -1">
                Note
                <textarea name="note" maxlength={4000}>
                  {form.note}
                </textarea>
              </label>
              <div class="actions">
                <button type="submit" name="action" value="save">
                  Save override
                </button>
                {company.override ? (
                  <button type="submit" name="action" value="clear" class="secondary" data-confirm="Clear the override and return to the model's values?">
                    Clear override
                  </button>
                ) : null}
              </div>
            </form>
            {company.override?.note ? (
              <>
                <h2>Note</h2>
                <p id="override-note" style="white-space: pre-wrap">
                  {company.override.note}
                </p>
              </>
            ) : null}
          </section>

          <section class="panel" aria-labelledby="override-history">
            <h2 id="override-history">Override history</h2>
            {props.overrides.length === 0 ? (
              <p class="count">No changes yet.</p>
            ) : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Who</th>
                      <th scope="col">Score</th>
                      <th scope="col">Segment</th>
                      <th scope="col">Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {props.overrides.map((row) => (
                      <tr>
                        <td>{when(row.created_at)}</td>
                        <td>{row.author}</td>
                        <td>{dash(row.score)}</td>
                        <td>{dash(row.segment)}</td>
                        <td>{row.score === null && row.segment === null && row.status === null && row.note === null ? "cleared" : dash(row.status)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section class="panel" aria-labelledby="enrichments">
            <h2 id="enrichments">Enrichment history</h2>
            {props.enrichments.length === 0 ? (
              <p class="count">No enrichment recorded.</p>
            ) : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Run</th>
                      <th scope="col">Provider / model</th>
                      <th scope="col">Prompt</th>
                      <th scope="col" class="num">Score</th>
                      <th scope="col">Date</th>
                    </tr>
                  </thead>
                  <tbody>
                    {props.enrichments.map((row) => (
                      <tr>
                        <td>{row.run_id === null ? "—" : <a href={`/app/runs/${row.run_id}`}>#{row.run_id}</a>}</td>
                        <td>
                          {row.provider} / {row.model}
                        </td>
                        <td>{row.prompt_version}</td>
                        <td class="num">{dash(row.score)}</td>
                        <td>{when(row.created_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </div>
      </div>
    </Layout>
  )
}
