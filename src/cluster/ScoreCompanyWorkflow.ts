import { Workflow } from "@effect/workflow"
import { Schema } from "effect"
import { stageNames } from "../pipeline/StageName.js"
import { CleanCompany } from "../schema/CleanCompany.js"

/**
 * One company's scrape → merge → enrich → persist, durable across runners. The execution id derives from the
 * run, the domain and the company's attempt in that run: submitting again (a resumed submitter) joins the
 * same execution; a retry is a new attempt, hence a new execution.
 */
export const ScoreCompanyWorkflow = Workflow.make({
  name: "ScoreCompany",
  payload: {
    runId: Schema.Int,
    /** 1 + the attempts the company's last stage has recorded in the run. */
    attempt: Schema.Int.pipe(Schema.positive()),
    stages: Schema.Array(Schema.Literal(...stageNames)),
    retryFailed: Schema.Boolean,
    company: CleanCompany
  },
  success: Schema.Struct({
    domain: Schema.String,
    scrape: Schema.NullOr(Schema.String),
    enrichment: Schema.String
  }),
  idempotencyKey: (payload) => `${payload.runId}/${payload.company.domain}/${payload.attempt}`
})

export type ScoreCompanyPayload = Workflow.Workflow.Payload<typeof ScoreCompanyWorkflow>
