import type { Company, CompanyFacets } from "../ResponseSchemas.js"
import { enrichmentStatusValues, overrideStateValues, segmentValues } from "../CompanyListQuery.js"
import { qualificationStatusValues } from "../QualificationStatus.js"
import type { CompanySortField } from "../CompanySort.js"
import { normalizeCountry } from "../../stages/clean/normalizeCountry.js"
import { Layout, ScoreBadge, type Thresholds } from "./Layout.js"

type CompanyJson = typeof Company.Type
type Facets = typeof CompanyFacets.Type

/** The view's parameters as the URL holds them (strings), in the API's names. */
export type ViewParams = Readonly<Record<string, string>>

/** Parameters that pick rows; the CSV export takes exactly these plus the sort. */
export const filterParams = ["q", "min_score", "max_score", "segment", "country", "industry", "enrichment_status", "override", "status"] as const

const query = (params: ViewParams) => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== "") search.set(key, value)
  const text = search.toString()
  return text === "" ? "" : `?${text}`
}

/** The URL of this view with some parameters changed; any change of filter or sort starts at the first page. */
export const viewUrl = (params: ViewParams, changes: Record<string, string | undefined>) => {
  const next: Record<string, string> = {}
  for (const [key, value] of Object.entries(params)) if (key !== "cursor") next[key] = value
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete next[key]
    else next[key] = value
  }
  return `/app${query(next)}`
}

export const exportUrl = (params: ViewParams) => {
  const picked: Record<string, string> = {}
  for (const key of [...filterParams, "sort"]) if (params[key] !== undefined) picked[key] = params[key]!
  return `/companies.csv${query(picked)}`
}

const columns: ReadonlyArray<{ readonly label: string; readonly field?: CompanySortField; readonly num?: boolean; readonly narrow?: boolean; readonly descFirst?: boolean }> = [
  { label: "Company", field: "name" },
  { label: "Score", field: "score", num: true, descFirst: true },
  { label: "Segment", field: "segment" },
  { label: "Country", field: "country" },
  { label: "Industry", field: "industry", narrow: true },
  { label: "Employees", field: "employee_count", num: true, descFirst: true, narrow: true },
  { label: "Status" }
]

const SortHeader = (props: { readonly params: ViewParams; readonly column: (typeof columns)[number] }) => {
  const { column, params } = props
  if (!column.field) return <th scope="col">{column.label}</th>
  const sort = params.sort ?? "-score"
  const current = sort === column.field ? "ascending" : sort === `-${column.field}` ? "descending" : undefined
  const next = current === "ascending" ? `-${column.field}` : current === "descending" ? column.field : column.descFirst ? `-${column.field}` : column.field
  return (
    <th scope="col" class={`${column.num ? "num" : ""} ${column.narrow ? "hide-narrow" : ""}`} aria-sort={current ?? "none"}>
      <a href={viewUrl(params, { sort: next })} title={`sort by ${column.label.toLowerCase()}`}>
        {column.label}
        {current === "ascending" ? " ▲" : current === "descending" ? " ▼" : ""}
      </a>
    </th>
  )
}

const Select = (props: {
  readonly name: string
  readonly label: string
  readonly values: ReadonlyArray<string>
  readonly current: string | undefined
  readonly anyLabel?: string
}) => (
  <label>
    {props.label}
    <select name={props.name}>
      {props.anyLabel ? <option value="">{props.anyLabel}</option> : null}
      {props.values.map((value) => (
        <option value={value} selected={props.current === value}>
          {value}
        </option>
      ))}
    </select>
  </label>
)

const FacetList = (props: { readonly title: string; readonly param: string; readonly params: ViewParams; readonly counts: Facets["segment"] }) => {
  const current = props.params[props.param]
  return (
    <section aria-label={`${props.title} counts`}>
      <h2>{props.title}</h2>
      {props.counts.length === 0 ? (
        <p class="count">none</p>
      ) : (
        <ul>
          {props.counts.map((facet) => {
            const selected =
              current !== undefined &&
              (current.toLowerCase() === facet.value.toLowerCase() || (props.param === "country" && normalizeCountry(current)?.code === facet.value))
            return (
              <li>
                <a href={viewUrl(props.params, { [props.param]: selected ? undefined : facet.value })} aria-current={selected ? "true" : undefined}>
                  {facet.label}
                  {selected ? " ×" : ""}
                </a>
                <span class="count">{facet.count}</span>
              </li>
            )
          })}
        </ul>
      )}
    </section>
  )
}

const statusCell = (company: CompanyJson) => (
  <>
    <span class={`status-${company.enrichment_status}`}>{company.enrichment_status}</span>
    {company.effective.status ? <span class="tag">{company.effective.status}</span> : null}
  </>
)

export interface LeadsPageProps {
  readonly params: ViewParams
  readonly error?: string | undefined
  readonly page: { readonly total: number; readonly companies: ReadonlyArray<CompanyJson>; readonly next_cursor: string | null }
  readonly facets: Facets
  readonly thresholds: Thresholds
  readonly logoutCsrf?: string | undefined
}

export const LeadsPage = ({ params, error, page, facets, thresholds, logoutCsrf }: LeadsPageProps) => (
  <Layout title="Leads" section="leads" logoutCsrf={logoutCsrf}>
    <h1>Leads</h1>
    {error ? (
      <p class="notice error" role="alert">
        {error} <a href="/app">Start over</a>
      </p>
    ) : null}
    <form class="panel filters" method="get" action="/app" role="search" aria-label="Filter leads">
      <label>
        Search
        <input type="search" name="q" value={params.q ?? ""} placeholder="name or domain" maxlength={200} />
      </label>
      <label>
        Min score
        <input type="number" name="min_score" min={0} max={100} inputmode="numeric" value={params.min_score ?? ""} />
      </label>
      <label>
        Max score
        <input type="number" name="max_score" min={0} max={100} inputmode="numeric" value={params.max_score ?? ""} />
      </label>
      <Select name="segment" label="Segment" values={segmentValues} current={params.segment} anyLabel="any" />
      <label>
        Country
        <input type="text" name="country" list="country-list" value={params.country ?? ""} placeholder="US, USA, Germany…" maxlength={100} />
      </label>
      <datalist id="country-list">
        {facets.country.map((f) => (
          <option value={f.value}>{f.label}</option>
        ))}
      </datalist>
      <label>
        Industry
        <input type="text" name="industry" list="industry-list" value={params.industry ?? ""} placeholder="words, e.g. payments" maxlength={200} />
      </label>
      <datalist id="industry-list">
        {facets.industry.map((f) => (
          <option value={f.label}></option>
        ))}
      </datalist>
      <Select name="enrichment_status" label="Enrichment" values={enrichmentStatusValues} current={params.enrichment_status ?? "success"} />
      <Select name="override" label="Override" values={overrideStateValues} current={params.override ?? "any"} />
      <Select name="status" label="Qualification" values={qualificationStatusValues} current={params.status} anyLabel="any" />
      {params.sort ? <input type="hidden" name="sort" value={params.sort} /> : null}
      <div class="actions">
        <button type="submit">Apply filters</button>
        <a class="button secondary" href="/app">
          Reset
        </a>
      </div>
    </form>

    <div class="panel facets">
      <FacetList title="Segment" param="segment" params={params} counts={facets.segment} />
      <FacetList title="Country" param="country" params={params} counts={facets.country} />
      <FacetList title="Industry" param="industry" params={params} counts={facets.industry} />
    </div>

    <div class="pager">
      <span id="result-count" aria-live="polite">
        {page.total === 1 ? "1 company" : `${page.total} companies`}
      </span>
      <a class="button secondary" href={exportUrl(params)} download="companies.csv">
        Export this view (CSV)
      </a>
    </div>

    <div class="table-wrap">
      <table aria-describedby="result-count">
        <caption class="skip">Leads, {params.sort ?? "-score"}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <SortHeader params={params} column={column} />
            ))}
          </tr>
        </thead>
        <tbody>
          {page.companies.length === 0 ? (
            <tr>
              <td colspan={columns.length}>No company matches these filters.</td>
            </tr>
          ) : (
            page.companies.map((company) => (
              <tr data-id={company.id}>
                <td>
                  <a href={`/app/companies/${company.id}`}>{company.company_name}</a>
                  <div class="count">{company.domain}</div>
                </td>
                <td class="num">
                  <ScoreBadge score={company.effective.score} thresholds={thresholds} />
                  {company.override?.score != null ? <span class="tag" title={`model: ${company.icp_fit_score ?? "—"}`}>override</span> : null}
                </td>
                <td>{company.effective.segment ?? "—"}</td>
                <td>{company.country_name ?? company.country ?? "—"}</td>
                <td class="hide-narrow">{company.industry_raw ?? "—"}</td>
                <td class="num hide-narrow">{company.employee_count === null ? "—" : company.employee_count.toLocaleString("en-US")}</td>
                <td>{statusCell(company)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>

    <nav class="pager" aria-label="Pages">
      {params.cursor ? <a href={viewUrl(params, {})}>« First page</a> : null}
      {page.next_cursor ? (
        <a href={`/app${query({ ...params, cursor: page.next_cursor })}`} rel="next">
          Next page »
        </a>
      ) : (
        <span class="count">End of the list</span>
      )}
    </nav>
  </Layout>
)
