import type { RejectedRowList, RunDetail } from "../ResponseSchemas.js"
import { Layout } from "./Layout.js"

type Run = typeof RunDetail.Type

const when = (iso: string | null) => (iso ? <time datetime={iso}>{iso.replace("T", " ").replace(/\.\d+Z$/, " UTC")}</time> : "—")

const seconds = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(1)} s`)

const StageProgress = (props: { readonly stage: Run["stages"][number] }) => {
  const { stage } = props
  const finished = stage.done + stage.failed + stage.skipped
  return (
    <li>
      <strong>{stage.stage}</strong> <span class={`status-${stage.status}`}>{stage.status}</span>{" "}
      <progress max={Math.max(stage.total, 1)} value={Math.min(finished, Math.max(stage.total, 1))} aria-label={`${stage.stage} progress`}>
        {finished}/{stage.total}
      </progress>{" "}
      <span class="count">
        {stage.done} done, {stage.failed} failed, {stage.skipped} skipped of {stage.total}
      </span>
    </li>
  )
}

/** The runs table: what the live view replaces whenever a run's progress changes. */
export const RunsTable = (props: { readonly runs: ReadonlyArray<Run> }) => (
  <div class="table-wrap">
    <table>
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Status</th>
          <th scope="col">Stages</th>
          <th scope="col" class="hide-narrow">Started</th>
          <th scope="col" class="num hide-narrow">Duration</th>
        </tr>
      </thead>
      <tbody>
        {props.runs.length === 0 ? (
          <tr>
            <td colspan={5}>No run yet: start one with pnpm pipeline.</td>
          </tr>
        ) : (
          props.runs.map((run) => (
            <tr data-run={run.id}>
              <td>
                <a href={`/app/runs/${run.id}`}>#{run.id}</a>
                <div class="count">{run.input_path}</div>
              </td>
              <td>
                <span class={`status-${run.status}`}>{run.status}</span>
                {run.error ? <div class="count">{run.error}</div> : null}
              </td>
              <td>
                <ul style="list-style: none; padding: 0; margin: 0">
                  {run.stages.map((stage) => (
                    <StageProgress stage={stage} />
                  ))}
                </ul>
              </td>
              <td class="hide-narrow">{when(run.started_at)}</td>
              <td class="num hide-narrow">{seconds(run.duration_ms)}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  </div>
)

export const RunsPage = (props: { readonly runs: ReadonlyArray<Run>; readonly logoutCsrf?: string | undefined }) => (
  <Layout title="Runs" section="runs" logoutCsrf={props.logoutCsrf}>
    <h1>Pipeline runs</h1>
    <p id="live-status" class="count" aria-live="polite">
      Reload to see progress (live updates need JavaScript).
    </p>
    <div data-live="/app/runs/events">
      <RunsTable runs={props.runs} />
    </div>
  </Layout>
)

export const RunPage = (props: {
  readonly run: Run
  readonly rejects: typeof RejectedRowList.Type
  readonly offset: number
  readonly limit: number
  readonly logoutCsrf?: string | undefined
}) => {
  const { run, rejects } = props
  return (
    <Layout title={`Run #${run.id}`} section="runs" logoutCsrf={props.logoutCsrf}>
      <p>
        <a href="/app/runs">« All runs</a>
      </p>
      <h1>
        Run #{run.id} <span class={`status-${run.status}`}>{run.status}</span>
      </h1>
      <p id="live-status" class="count" aria-live="polite"></p>
      <div data-live={`/app/runs/${run.id}/events`}>
        <RunsTable runs={[run]} />
      </div>
      <dl class="fields panel">
        <dt>Input</dt>
        <dd>
          {run.input_path} <span class="count">sha256 {run.input_sha256.slice(0, 12)}</span>
        </dd>
        <dt>Tokens</dt>
        <dd>
          {run.tokens.input} in, {run.tokens.output} out
        </dd>
        <dt>Failures</dt>
        <dd>{run.failures.length === 0 ? "none" : run.failures.map((f) => `${f.stage}: ${f.error_kind} × ${f.count}`).join("; ")}</dd>
      </dl>
      <h2 id="rejects">Rejected lines ({rejects.total})</h2>
      {rejects.total === 0 ? (
        <p class="count">The run rejected no line.</p>
      ) : (
        <div class="table-wrap">
          <table aria-labelledby="rejects">
            <thead>
              <tr>
                <th scope="col" class="num">Line</th>
                <th scope="col">Reason</th>
                <th scope="col">Message</th>
                <th scope="col" class="hide-narrow">Values</th>
              </tr>
            </thead>
            <tbody>
              {rejects.rejects.map((row) => (
                <tr>
                  <td class="num">{row.line_number}</td>
                  <td>{row.reason}</td>
                  <td>
                    {row.message}
                    {row.duplicate_of_line !== null ? ` (line ${row.duplicate_of_line})` : ""}
                  </td>
                  <td class="hide-narrow">
                    <code>{JSON.stringify(row.raw)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages of rejected lines">
        {props.offset > 0 ? <a href={`/app/runs/${run.id}?offset=${Math.max(0, props.offset - props.limit)}`}>« Previous</a> : null}
        {rejects.next_offset !== null ? <a href={`/app/runs/${run.id}?offset=${rejects.next_offset}`}>Next »</a> : null}
      </nav>
    </Layout>
  )
}
