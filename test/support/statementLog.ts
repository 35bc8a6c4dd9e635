import { Effect, Tracer } from "effect"

/**
 * Every statement the SQL client runs, as the spans it opens (`sql.execute`, one per statement sent), recorded
 * by a tracer beside the current one. Install it with `Effect.withTracer(log.tracer)` around building the
 * services under test as well as calling them: batches run on fibers of the runtime the services were built in.
 */
export const makeStatementLog = Effect.map(Effect.tracer, (inner) => {
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (name, ...rest) => {
      const span = inner.span(name, ...rest)
      if (name === "sql.execute") spans.push(span)
      return span
    },
    context: (f, fiber) => inner.context(f, fiber)
  })
  const matching = (pattern: RegExp) => spans.filter((span) => pattern.test(String(span.attributes.get("db.query.text") ?? "")))
  return {
    tracer,
    /** Statements whose text matches, in the order they started. */
    count: (pattern: RegExp) => matching(pattern).length,
    failed: (pattern: RegExp) =>
      matching(pattern).filter((span) => span.status._tag === "Ended" && span.status.exit._tag === "Failure").length,
    clear: () => void spans.splice(0)
  }
})
