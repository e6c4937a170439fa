/*
 * @effect/opentelemetry's tracer hooks Effect's run loop (`Tracer.context`): every time a fiber with a
 * span resumes, it builds an OpenTelemetry `Context` holding that span and runs the step inside
 * `context.with`, so that OpenTelemetry-instrumented code called from the fiber sees the span as active.
 * cardkit registers no OpenTelemetry context manager (the contexts go to the API's no-op one) and uses no
 * OpenTelemetry-instrumented library that would read them (traceparent handling works from Effect's own
 * spans), so here the hook is paid on every resume for nothing. This tracer makes the very same spans —
 * @effect/opentelemetry's, with their parents, attributes, events and links, exported as before — and
 * runs each step as it is. A team that adds OpenTelemetry auto-instrumentation needs the hook back:
 * `propagateOtelContext: true` installs @effect/opentelemetry's tracer unchanged.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import type * as Resource from "@effect/opentelemetry/Resource"
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Tracer } from "effect"

/** @effect/opentelemetry's tracer without its per-resume `context` hook. */
export const withoutContextHook = (tracer: Tracer.Tracer): Tracer.Tracer =>
  Tracer.make({ span: tracer.span, context: (execution) => execution() })

/**
 * Effect's tracer replaced by one whose spans go to `processor` through a Node tracer provider (flushed
 * and shut down when the scope closes), as `NodeSdk.layer` installs it; with the OpenTelemetry context
 * hook only when `propagateOtelContext`.
 */
export const layer = (
  processor: SpanProcessor,
  propagateOtelContext: boolean
): Layer.Layer<never, never, Resource.Resource> =>
  Layer.unwrapEffect(
    Effect.map(OtelTracer.make, (tracer) => Layer.setTracer(propagateOtelContext ? tracer : withoutContextHook(tracer)))
  ).pipe(Layer.provide(OtelTracer.layerTracer), Layer.provide(NodeSdk.layerTracerProvider(processor)))
