/** What a run reads: the file and how to read it. The first input stage turns it into rows. */
export interface InputSource {
  readonly path: string
  readonly delimiter?: string | undefined
  /** `--columns domain=Website,...`: which header holds a column. */
  readonly columns?: string | undefined
}
