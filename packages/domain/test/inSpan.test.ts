import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Fiber, Option, Tracer } from "effect"
import { CardkitMetrics } from "../src/index.js"

const parentName = (span: Tracer.Span) =>
  Option.match(span.parent, {
    onNone: () => undefined,
    onSome: (parent) => (parent._tag === "Span" ? parent.name : parent.spanId)
  })

const ended = (span: Tracer.Span) => {
  if (span.status._tag !== "Ended") throw new Error(`${span.name} did not end`)
  return span.status.exit
}

describe("CardkitMetrics.inSpan", () => {
  it.effect("is the parent of what the effect starts, and the outer span again after it", () =>
    Effect.gen(function* () {
      const [exit, spans] = yield* CardkitMetrics.recordingSpans(
        Effect.withSpan(
          Effect.zipRight(
            CardkitMetrics.inSpan(
              "inner",
              { kind: "client", attributes: { "cardkit.operation": "getCvv" } },
              Effect.as(Effect.withSpan(Effect.void, "child"), 42),
              (exit, span) => Effect.sync(() => span.attribute("answer", Exit.isSuccess(exit) ? exit.value : -1))
            ),
            Effect.withSpan(Effect.void, "after")
          ),
          "outer"
        )
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      const byName = new Map(spans.map((span) => [span.name, span]))
      expect(parentName(byName.get("inner")!)).toBe("outer")
      expect(parentName(byName.get("child")!)).toBe("inner")
      expect(parentName(byName.get("after")!)).toBe("outer")
      const inner = byName.get("inner")!
      expect(inner.kind).toBe("client")
      expect(Object.fromEntries(inner.attributes)).toEqual({ "cardkit.operation": "getCvv", answer: 42 })
      expect(ended(inner)).toEqual(Exit.succeed(42))
    })
  )

  it.live("takes an explicit parent, the span annotations and links, and times the span", () =>
    Effect.gen(function* () {
      const remote = Tracer.externalSpan({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" })
      const [, spans] = yield* CardkitMetrics.recordingSpans(
        CardkitMetrics.inSpan(
          "server",
          { kind: "server", parent: remote },
          Effect.sleep("5 millis"),
          () => Effect.void
        ).pipe(Effect.annotateSpans("cardkit.request_id", "req-1"), Effect.linkSpans(remote))
      )
      const [server] = spans
      expect(server!.traceId).toBe(remote.traceId)
      expect(parentName(server!)).toBe(remote.spanId)
      expect(server!.attributes.get("cardkit.request_id")).toBe("req-1")
      expect(server!.links.map((link) => link.span.spanId)).toEqual([remote.spanId])
      if (server!.status._tag !== "Ended") throw new Error("not ended")
      expect(server!.status.endTime - server!.status.startTime).toBeGreaterThan(0n)
    })
  )

  it.effect("ends the span with a failure, after `ended` saw it, and fails as the effect failed", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const [exit, spans] = yield* CardkitMetrics.recordingSpans(
        CardkitMetrics.inSpan("failing", {}, Effect.fail("refused" as const), (exit, span) =>
          Effect.sync(() => {
            seen.push(span.status._tag, CardkitMetrics.outcomeOf(exit))
          })
        )
      )
      expect(exit).toEqual(Exit.fail("refused"))
      expect(seen).toEqual(["Started", "Error"])
      expect(ended(spans[0]!)).toEqual(Exit.fail("refused"))
    })
  )

  it.live("ends the span when the effect is interrupted, and the context is the outer one again", () =>
    Effect.gen(function* () {
      const [exit, spans] = yield* CardkitMetrics.recordingSpans(
        Effect.gen(function* () {
          const fiber = yield* Effect.fork(
            Effect.withSpan(
              Effect.zipRight(
                Effect.exit(
                  CardkitMetrics.inSpan("interrupted", {}, Effect.never, () => Effect.void).pipe(
                    Effect.timeout("1 millis")
                  )
                ),
                Effect.currentSpan
              ),
              "outer"
            )
          )
          return yield* Fiber.join(fiber)
        })
      )
      expect(Exit.isSuccess(exit) && exit.value.name).toBe("outer")
      const interrupted = spans.find((span) => span.name === "interrupted")!
      expect(Cause.isInterruptedOnly((ended(interrupted) as Exit.Failure<never, never>).cause)).toBe(true)
    })
  )

  it.effect("skips a parent that disables propagation, as Effect does, and keeps the services around it", () =>
    Effect.gen(function* () {
      class Greeting extends Context.Tag("Greeting")<Greeting, string>() {}
      const [exit, spans] = yield* CardkitMetrics.recordingSpans(
        Effect.withSpan(
          Effect.withSpan(
            Effect.all([
              CardkitMetrics.inSpan("ours", {}, Greeting, () => Effect.void),
              Effect.withSpan(Effect.void, "effect's")
            ]),
            "hidden",
            { context: Tracer.DisablePropagation.context(true) }
          ),
          "outer"
        ).pipe(Effect.provideService(Greeting, "hello"))
      )
      expect(exit).toEqual(Exit.succeed(["hello", undefined]))
      const byName = new Map(spans.map((span) => [span.name, span]))
      expect(parentName(byName.get("effect's")!)).toBe("outer")
      expect(parentName(byName.get("ours")!)).toBe("outer")
    })
  )

  it.effect("with the tracer disabled, records nothing and still runs `ended` with the exit", () =>
    Effect.gen(function* () {
      const seen: Array<unknown> = []
      const [exit, spans] = yield* CardkitMetrics.recordingSpans(
        CardkitMetrics.inSpan("unseen", {}, Effect.succeed(7), (exit) => Effect.sync(() => seen.push(exit))).pipe(
          Effect.withTracerEnabled(false)
        )
      )
      expect(exit).toEqual(Exit.succeed(7))
      expect(seen).toEqual([Exit.succeed(7)])
      expect(spans).toEqual([])
    })
  )
})
