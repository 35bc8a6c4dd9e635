export interface PipelineOptions {
  readonly input: string | undefined
  readonly delimiter: string | undefined
  /** `--columns domain=Website,employee_count=Headcount`: which header holds a column. */
  readonly columns?: string | undefined
  readonly resume: boolean
  readonly runId: number | undefined
  readonly only: ReadonlyArray<string> | undefined
  readonly from: string | undefined
  readonly retryFailed: boolean
  readonly limit: number | undefined
  readonly dryRun: boolean
  readonly strict: boolean
  readonly wait: boolean
}

export const DEFAULT_INPUT = "data/companies.csv"

export const defaultPipelineOptions: PipelineOptions = {
  input: undefined,
  delimiter: undefined,
  columns: undefined,
  resume: false,
  runId: undefined,
  only: undefined,
  from: undefined,
  retryFailed: false,
  limit: undefined,
  dryRun: false,
  strict: false,
  wait: false
}
