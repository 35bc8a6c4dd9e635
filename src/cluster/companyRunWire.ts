import { Effect, Schema } from "effect"
import { CompanyRun } from "../pipeline/CompanyRun.js"
import type { Pipeline } from "../pipeline/definePipeline.js"
import type { AnyCompanyStage } from "../pipeline/Stage.js"
import type { CleanCompany } from "../schema/CleanCompany.js"

/** A company's upstream outputs for `stage`, each encoded with its stage's own output schema. */
export const encodeCompanyRun = (run: CompanyRun, stage: AnyCompanyStage) =>
  Effect.gen(function* () {
    const outputs: Record<string, unknown> = {}
    for (const up of stage.upstream) {
      if (up.kind !== "company" || !run.has(up.name)) continue
      outputs[up.name] = yield* Schema.encode(up.output)(run.get(up)).pipe(Effect.orDie)
    }
    return outputs
  })

export const decodeCompanyRun = (pipeline: Pipeline, company: CleanCompany, outputs: Readonly<Record<string, unknown>>) =>
  Effect.gen(function* () {
    let run = new CompanyRun(company)
    for (const stage of pipeline.companyStages) {
      if (!(stage.name in outputs)) continue
      run = run.with(stage.name, yield* Schema.decodeUnknown(stage.output)(outputs[stage.name]).pipe(Effect.orDie))
    }
    return run
  })
