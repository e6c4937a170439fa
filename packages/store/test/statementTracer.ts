import { Tracer } from "effect"

/** A tracer that keeps the text of every `sql.execute` span: the statements the store ran. */
export const statementTracer = () => {
  const statements: Array<string> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: Math.random().toString(16).slice(2),
        traceId: "statements",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links,
        sampled: true,
        kind,
        end: () => {
          const text = attributes.get("db.query.text")
          if (name === "sql.execute" && typeof text === "string") statements.push(text)
        },
        attribute: (key, value) => {
          attributes.set(key, value)
        },
        event: () => {},
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })
  return { statements, tracer }
}
