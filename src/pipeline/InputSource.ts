/** What a run reads: the file and how to read it. The first input stage turns it into rows. */
export interface InputSource {
  readonly path: string
  readonly delimiter?: string | undefined
  /** `--columns domain=Website,...`: which header holds a column. */
  readonly columns?: string | undefined
  /** `--limit`: the input ends with its N-th accepted company. */
  readonly limit?: number | undefined
}
