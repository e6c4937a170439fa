/*
 * Why a span is opened here and not with `Effect.useSpan` and `Effect.withParentSpan`: those run the
 * effect under two interruption masks and two exit handlers (one to end the span, one to put the
 * parent context back), steps of Effect's run loop that every traced reveal paid for twice, once per
 * span (apps/bench/README.md, telemetry). Here one masked region sets the span as the parent of what
 * `effect` starts, and on exit puts the context back, runs `ended` and ends the span. The span itself is still made by `Effect.makeSpan`, so the
 * tracer, parent, annotations, links and timing are Effect's.
 */
import { Clock, Context, Effect, Exit, FiberRef, Tracer } from "effect"

/** What a span opened by `spanned` starts with. */
export interface SpanOptions {
  /** `internal` unless given: `server` for a request taken, `client` for a call made. */
  readonly kind?: Tracer.SpanKind | undefined
  /** Set as the span starts; never card data. */
  readonly attributes?: Record<string, unknown> | undefined
  /** The parent, instead of the current span: a remote one from `traceparent`. */
  readonly parent?: Tracer.AnySpan | undefined
}

export const spanned = <A, E, R>(
  name: string,
  options: SpanOptions,
  effect: Effect.Effect<A, E, R>,
  ended: (exit: Exit.Exit<A, E>, span: Tracer.Span) => Effect.Effect<void>
): Effect.Effect<A, E, R> =>
  Effect.flatMap(
    Effect.makeSpan(name, {
      kind: options.kind,
      attributes: options.attributes,
      parent: options.parent,
      captureStackTrace: false
    }),
    (span) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.withFiberRuntime<A, E, R>((fiber) => {
          const outer = fiber.currentContext
          const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
          const timed = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
          const close = (exit: Exit.Exit<A, E>) =>
            Effect.zipRight(
              FiberRef.set(FiberRef.currentContext, outer),
              Effect.zipRight(
                ended(exit, span),
                Effect.suspend(() => {
                  span.end(timed ? clock.unsafeCurrentTimeNanos() : 0n, exit)
                  return exit
                })
              )
            )
          return Effect.zipRight(
            FiberRef.set(FiberRef.currentContext, Context.add(outer, Tracer.ParentSpan, span)),
            Effect.matchCauseEffect(restore(effect), {
              onFailure: (cause) => close(Exit.failCause(cause)),
              onSuccess: (value) => close(Exit.succeed(value))
            })
          )
        })
      )
  )
