/*
 * A measured fast path (apps/bench/README.md, telemetry), kept to this module.
 *
 * Why a span is opened here and not with `Effect.useSpan` and `Effect.withParentSpan`: every traced
 * request pays for its spans on the serving thread, and those run the effect under two interruption
 * masks and two exit handlers, `Effect.makeSpan` copies the fiber's refs to read two of them, and
 * the parent goes into a copy of the context in the order the context already had. Here one masked
 * region makes the span from what Effect's `makeSpan` reads (the fiber's tracer, the current span
 * unless propagation is disabled, the span annotations and links, the clock), sets it as the parent
 * of what `effect` starts, and on exit puts the context back, runs `ended` and ends the span. The
 * context holding the span lists it first: Effect compares a fiber's new context with the one it
 * replaces service by service, in the order of the one replaced, each time the context is set, and
 * the parent span is the one service that differs, so putting the outer context back stops at the
 * first comparison instead of walking every service the request's context holds.
 */
import { Chunk, Clock, Context, Effect, Exit, type Fiber, FiberRef, HashMap, Option, Tracer } from "effect"

/** What a span opened by `spanned` starts with. */
export interface SpanOptions {
  /** `internal` unless given: `server` for a request taken, `client` for a call made. */
  readonly kind?: Tracer.SpanKind | undefined
  /** Set as the span starts; never card data. */
  readonly attributes?: Record<string, unknown> | undefined
  /** The parent, instead of the current span: a remote one from `traceparent`. */
  readonly parent?: Tracer.AnySpan | undefined
}

/** The current span, or the nearest of its parents that propagates, as Effect's `makeSpan` takes it. */
const propagatingParent = (current: Tracer.AnySpan | undefined): Option.Option<Tracer.AnySpan> => {
  let span = current
  while (span !== undefined && Context.get(span.context, Tracer.DisablePropagation)) {
    span = span._tag === "Span" ? Option.getOrUndefined(span.parent) : undefined
  }
  return span === undefined ? Option.none() : Option.some(span)
}

const openSpan = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  name: string,
  options: SpanOptions,
  startTime: bigint
): Tracer.Span => {
  const span = fiber.currentTracer.span(
    name,
    options.parent === undefined ? propagatingParent(fiber.currentSpan) : Option.some(options.parent),
    Context.empty(),
    Chunk.toReadonlyArray(fiber.getFiberRef(FiberRef.currentTracerSpanLinks)),
    startTime,
    options.kind ?? "internal"
  )
  const annotations = fiber.getFiberRef(FiberRef.currentTracerSpanAnnotations)
  if (HashMap.size(annotations) > 0) HashMap.forEach(annotations, (value, key) => span.attribute(key, value))
  const attributes = options.attributes
  if (attributes !== undefined) for (const key in attributes) span.attribute(key, attributes[key])
  return span
}

/** `outer` with `span` as the parent span, listed first. */
const withParent = (outer: Context.Context<never>, span: Tracer.Span): Context.Context<never> => {
  const key = Tracer.ParentSpan.key
  const services = new Map<string, unknown>([[key, span]])
  outer.unsafeMap.forEach((service, name) => {
    if (name !== key) services.set(name, service)
  })
  return Context.unsafeMake(services)
}

export const spanned = <A, E, R>(
  name: string,
  options: SpanOptions,
  effect: Effect.Effect<A, E, R>,
  ended: (exit: Exit.Exit<A, E>, span: Tracer.Span) => Effect.Effect<void>
): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime<A, E, R>((fiber) => {
      // A disabled tracer makes Effect's no-op span, which nothing parents on.
      if (!fiber.getFiberRef(FiberRef.currentTracerEnabled)) {
        return Effect.flatMap(Effect.makeSpan(name), (span) =>
          Effect.onExit(restore(effect), (exit) => ended(exit, span))
        )
      }
      const outer = fiber.currentContext
      const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
      const timed = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
      const span = openSpan(fiber, name, options, timed ? clock.unsafeCurrentTimeNanos() : 0n)
      const close = (exit: Exit.Exit<A, E>) =>
        Effect.zipRight(
          FiberRef.set(FiberRef.currentContext, outer),
          Effect.flatMap(ended(exit, span), () => {
            span.end(timed ? clock.unsafeCurrentTimeNanos() : 0n, exit)
            return exit
          })
        )
      return Effect.zipRight(
        FiberRef.set(FiberRef.currentContext, withParent(outer, span)),
        Effect.matchCauseEffect(restore(effect), {
          onFailure: (cause) => close(Exit.failCause(cause)),
          onSuccess: (value) => close(Exit.succeed(value))
        })
      )
    })
  )
