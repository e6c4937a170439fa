/*
 * Why Effect's spans are recorded as they are and become OpenTelemetry spans only at their end:
 * @effect/opentelemetry's tracer makes an SDK span beside each Effect span as it starts — a sampler
 * call, a parent context built and copied, every attribute validated and stored twice, and, per fiber
 * resume, an OpenTelemetry context made active — and with it a traced reveal cost the demo far more
 * than the same spans kept by Effect's own tracer (apps/bench/README.md, telemetry). Here a span holds
 * what Effect gives it; when it ends it is handed over once, as a plain record (`spanRecord.ts`), to
 * the export thread or to the exporter the app gave (`spanSink.ts`), where it becomes the `ReadableSpan`
 * the SDK's batch processor and OTLP exporter take, scrubbed: export, batching and serialization stay
 * the SDK's.
 * What this leaves out is what nothing in cardkit reads: the active OpenTelemetry context and span
 * processors' `onStart`. A team with OpenTelemetry instrumentation that needs them passes
 * `propagateOtelContext: true` and gets @effect/opentelemetry's tracer unchanged.
 */
import * as Resource from "@effect/opentelemetry/Resource"
import { type Attributes, type AttributeValue, type HrTime, SpanKind, SpanStatusCode } from "@opentelemetry/api"
import type { InstrumentationScope } from "@opentelemetry/core"
import { RandomIdGenerator, type TimedEvent } from "@opentelemetry/sdk-trace-base"
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions"
import { Cause, type Context, Effect, Inspectable, Layer, type Exit, type Option, Tracer } from "effect"
import type { SpanRecord } from "./spanRecord.js"
import { Sink, type SpanSink } from "./spanSink.js"

const ids = new RandomIdGenerator()

/*
 * Effect's run loop calls its tracer's `context` around every step. Effect's own tracer, which every
 * fiber outside this layer keeps, just runs the step; handing the run loop that very function keeps
 * the call the one V8 has inlined: a function of our own made it a call of two targets, costing a
 * traced reveal's every step (apps/bench/README.md, telemetry).
 */
const nativeContext = Effect.runSync(Effect.tracer).context

const kinds: Record<Tracer.SpanKind, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER
}

const hrTime = (nanos: bigint): HrTime => [Number(nanos / 1_000_000_000n), Number(nanos % 1_000_000_000n)]

const isPrimitive = (value: unknown): value is string | number | boolean =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean"

/** As @effect/opentelemetry converts an attribute: primitives and their arrays as they are, the rest as text. */
const attributeValue = (value: unknown): AttributeValue =>
  isPrimitive(value)
    ? value
    : Array.isArray(value) && value.every(isPrimitive)
      ? (value as AttributeValue)
      : typeof value === "bigint"
        ? value.toString()
        : Inspectable.toStringUnknown(value)

// Read without an iterator: a `for…of` over a span's attributes allocates an entry for each, per span.
const attributesOf = (from: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>): Attributes => {
  const attributes: Attributes = {}
  if (from instanceof Map) {
    from.forEach((value, key) => {
      attributes[key] = attributeValue(value)
    })
  } else {
    for (const key in from) attributes[key] = attributeValue((from as Readonly<Record<string, unknown>>)[key])
  }
  return attributes
}

const spanContextOf = (span: Tracer.AnySpan, isRemote: boolean) => ({
  traceId: span.traceId,
  spanId: span.spanId,
  traceFlags: span.sampled ? 1 : 0,
  isRemote
})

interface Ended {
  readonly status: SpanRecord["status"]
  readonly attributes: Attributes
  readonly events: ReadonlyArray<TimedEvent>
}

// What most spans end with, shared: it is only read.
const succeeded: Ended = { status: { code: SpanStatusCode.OK }, attributes: {}, events: [] }

/** The status and what a failure adds, as @effect/opentelemetry's span records them. */
const ending = (exit: Exit.Exit<unknown, unknown>, endTime: HrTime): Ended => {
  if (exit._tag === "Success") return succeeded
  if (Cause.isInterruptedOnly(exit.cause)) {
    return {
      status: { code: SpanStatusCode.OK, message: Cause.pretty(exit.cause) },
      attributes: { "span.label": "⚠︎ Interrupted", "status.interrupted": true },
      events: []
    }
  }
  const error = Cause.prettyErrors(exit.cause)[0]
  if (error === undefined) return succeeded
  const exception: TimedEvent = {
    name: "exception",
    time: endTime,
    attributes: {
      "exception.type": error.name,
      "exception.message": error.message,
      "exception.stacktrace": Cause.pretty(exit.cause, { renderErrorCause: true })
    },
    droppedAttributesCount: 0
  }
  return { status: { code: SpanStatusCode.ERROR, message: error.message }, attributes: {}, events: [exception] }
}

class RecordedSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly spanId = ids.generateSpanId()
  readonly traceId: string
  readonly sampled: boolean
  readonly attributes = new Map<string, unknown>()
  readonly links: Array<Tracer.SpanLink>
  readonly events: Array<TimedEvent> = []
  status: Tracer.SpanStatus

  constructor(
    private readonly exporting: Exporting,
    readonly name: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: ReadonlyArray<Tracer.SpanLink>,
    startTime: bigint,
    readonly kind: Tracer.SpanKind
  ) {
    this.traceId = parent._tag === "Some" ? parent.value.traceId : ids.generateTraceId()
    this.sampled = parent._tag === "Some" ? parent.value.sampled : true
    this.links = links.slice()
    this.status = { _tag: "Started", startTime }
  }

  attribute(key: string, value: unknown): void {
    this.attributes.set(key, value)
  }

  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    this.events.push({
      name,
      time: hrTime(startTime),
      ...(attributes === undefined ? {} : { attributes: attributesOf(attributes) }),
      droppedAttributesCount: 0
    })
  }

  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.links.push(...links)
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    const startTime = this.status.startTime
    this.status = { _tag: "Ended", startTime, endTime, exit }
    // An unsampled parent (a `traceparent` flagged so) leaves its children out, as the SDK's default
    // parent-based sampler does.
    if (!this.sampled) return
    this.exporting.sink.add(this.record(startTime, endTime, exit))
  }

  private record(startTime: bigint, endTime: bigint, exit: Exit.Exit<unknown, unknown>): SpanRecord {
    const end = hrTime(endTime)
    const ended = ending(exit, end)
    const attributes = attributesOf(this.attributes)
    for (const key in ended.attributes) attributes[key] = ended.attributes[key]
    return {
      name: this.name,
      kind: kinds[this.kind],
      context: spanContextOf(this, false),
      parent:
        this.parent._tag === "Some"
          ? spanContextOf(this.parent.value, this.parent.value._tag === "ExternalSpan")
          : undefined,
      startTime: hrTime(startTime),
      endTime: end,
      attributes,
      links: this.links.map((link) => ({
        context: spanContextOf(link.span, link.span._tag === "ExternalSpan"),
        attributes: attributesOf(link.attributes)
      })),
      events: ended.events.length === 0 ? this.events : this.events.concat(ended.events),
      status: ended.status,
      scope: this.exporting.scope
    }
  }
}

interface Exporting {
  readonly sink: SpanSink
  readonly scope: InstrumentationScope
}

/** Effect's tracer replaced by one whose ended spans go to the `Sink`, in the service's instrumentation scope. */
export const layer: Layer.Layer<never, never, Resource.Resource | Sink> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const resource = yield* Resource.Resource
    // The instrumentation scope @effect/opentelemetry's tracer names: the service, at its version.
    const version = resource.attributes[ATTR_SERVICE_VERSION]
    const exporting: Exporting = {
      sink: yield* Sink,
      scope: {
        name: String(resource.attributes[ATTR_SERVICE_NAME]),
        ...(version === undefined ? {} : { version: String(version) })
      }
    }
    return Layer.setTracer(
      Tracer.make({
        span: (name, parent, context, links, startTime, kind) =>
          new RecordedSpan(exporting, name, parent, context, links, startTime, kind),
        context: nativeContext
      })
    )
  })
)
