import { Workflow } from "@effect/workflow"
import { Schema } from "effect"
import type { Pipeline } from "../pipeline/definePipeline.js"
import { Pipeline as DefaultPipeline } from "../pipeline/Pipeline.js"
import { CleanCompany } from "../schema/CleanCompany.js"

/**
 * One company's per-company stages, durable across runners, for a given pipeline declaration. The execution
 * id derives from the run, the domain and the company's attempt in that run: submitting again (a resumed
 * submitter) joins the same execution; a retry is a new attempt, hence a new execution.
 */
export const makeScoreCompanyWorkflow = (pipeline: Pipeline) =>
  Workflow.make({
    name: "ScoreCompany",
    payload: {
      runId: Schema.Int,
      /** 1 + the attempts the company's last stage has recorded in the run. */
      attempt: Schema.Int.pipe(Schema.positive()),
      stages: Schema.Array(Schema.Literal(...pipeline.names)),
      retryFailed: Schema.Boolean,
      company: CleanCompany
    },
    success: Schema.Struct({
      domain: Schema.String,
      /** Per stage with an outcome: done, failed or skipped; `WorkflowDefect` when a step died. */
      outcomes: Schema.Record({ key: Schema.String, value: Schema.String })
    }),
    idempotencyKey: (payload) => `${payload.runId}/${payload.company.domain}/${payload.attempt}`
  })

export type ScoreCompanyWorkflow = ReturnType<typeof makeScoreCompanyWorkflow>
export type ScoreCompanyPayload = Workflow.Workflow.Payload<ScoreCompanyWorkflow>

export const ScoreCompanyWorkflow = makeScoreCompanyWorkflow(DefaultPipeline)
