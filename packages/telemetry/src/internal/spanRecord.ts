import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from "@opentelemetry/api"
import { hrTimeDuration, type InstrumentationScope } from "@opentelemetry/core"
import type { Resource } from "@opentelemetry/resources"
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace-base"
import { maskPans } from "@cardkit/domain"
import { scrubAttributes, scrubEvent, scrubStatus } from "./scrubbing.js"

/*
 * A span as it ended, in plain data only: what is handed to the export thread, whose structured copy
 * of plain objects and arrays is cheap where one of an SDK span (methods, the resource and its
 * attributes, in every span) cost the serving thread as much as exporting the span there. It is
 * scrubbed only as it becomes the `ReadableSpan` the SDK's processor and exporter take (`readable`),
 * wherever that runs, so the masking is off the serving thread too.
 */
export interface SpanRecord {
  readonly name: string
  readonly kind: SpanKind
  readonly context: SpanContext
  readonly parent: SpanContext | undefined
  readonly startTime: HrTime
  readonly endTime: HrTime
  readonly attributes: Attributes
  readonly links: ReadonlyArray<Link>
  readonly events: ReadonlyArray<TimedEvent>
  readonly status: SpanStatus
  readonly scope: InstrumentationScope
}

/** A plain copy of a span context: an SDK span's may be a class instance with more in it. */
const plainContext = (context: SpanContext): SpanContext => ({
  traceId: context.traceId,
  spanId: context.spanId,
  traceFlags: context.traceFlags,
  ...(context.isRemote === undefined ? {} : { isRemote: context.isRemote })
})

/** An OpenTelemetry SDK span's record (`propagateOtelContext`'s spans). */
export const fromReadable = (span: ReadableSpan): SpanRecord => ({
  name: span.name,
  kind: span.kind,
  context: plainContext(span.spanContext()),
  parent: span.parentSpanContext === undefined ? undefined : plainContext(span.parentSpanContext),
  startTime: span.startTime,
  endTime: span.endTime,
  attributes: span.attributes,
  links: span.links.map((link) => ({
    context: plainContext(link.context),
    ...(link.attributes === undefined ? {} : { attributes: link.attributes })
  })),
  events: span.events,
  status: span.status,
  scope: {
    name: span.instrumentationScope.name,
    ...(span.instrumentationScope.version === undefined ? {} : { version: span.instrumentationScope.version })
  }
})

/** The record as the batch processor and the OTLP exporter read it, scrubbed (`CardDataScrubbing`'s rules). */
class EndedSpan implements ReadableSpan {
  readonly name: string
  readonly kind: SpanKind
  readonly parentSpanContext?: SpanContext
  readonly attributes: Attributes
  readonly links: Array<Link>
  readonly events: Array<TimedEvent>
  readonly status: SpanStatus
  readonly startTime: HrTime
  readonly endTime: HrTime
  readonly duration: HrTime
  readonly ended = true
  readonly instrumentationScope: InstrumentationScope
  readonly droppedAttributesCount = 0
  readonly droppedEventsCount = 0
  readonly droppedLinksCount = 0
  private readonly context: SpanContext

  constructor(
    record: SpanRecord,
    readonly resource: Resource
  ) {
    this.name = maskPans(record.name)
    this.kind = record.kind
    this.context = record.context
    if (record.parent !== undefined) this.parentSpanContext = record.parent
    this.attributes = scrubAttributes(record.attributes)
    this.links = record.links.map((link) =>
      link.attributes === undefined ? link : { context: link.context, attributes: scrubAttributes(link.attributes) }
    )
    this.events = record.events.map(scrubEvent)
    this.status = scrubStatus(record.status)
    this.startTime = record.startTime
    this.endTime = record.endTime
    this.duration = hrTimeDuration(record.startTime, record.endTime)
    this.instrumentationScope = record.scope
  }

  spanContext(): SpanContext {
    return this.context
  }
}

/** The record as the SDK's span processors and exporters take a span, of `resource`, scrubbed. */
export const readable = (record: SpanRecord, resource: Resource): ReadableSpan => new EndedSpan(record, resource)
