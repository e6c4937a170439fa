import { maskPans } from "@cardkit/domain"
import type { Attributes } from "@opentelemetry/api"
import type { ExportResult } from "@opentelemetry/core"
import type { CollectionResult, MetricProducer } from "@opentelemetry/sdk-metrics"
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base"
import { scrubAttributes, scrubEvent, scrubStatus } from "./internal/scrubbing.js"

/*
 * Defence in depth, not the rule: instrumentation must never put card data (a PAN, CVV, CVV2, PIN or
 * TAVV) in a span name, an attribute, an event or a metric tag in the first place. Whatever slips
 * through anyway is masked here, at the last point before it leaves the process: every run of digits
 * that could be a PAN as `maskPans` shows it, and in error text (exception events, a span's status
 * message), which may quote a request, every run that could be a CVV cut out by `scrubCardData`.
 */

/** The span as exported: the same, its name, attributes, events and status message scrubbed. */
export const scrubSpan = (span: ReadableSpan): ReadableSpan => {
  // Built member by member: V8 copies `{ ...object }` on a slow path (apps/bench/README.md).
  const scrubbed: { -readonly [K in keyof ReadableSpan]: ReadableSpan[K] } = {
    name: maskPans(span.name),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    startTime: span.startTime,
    endTime: span.endTime,
    status: scrubStatus(span.status),
    attributes: scrubAttributes(span.attributes),
    links: span.links.map((link) =>
      link.attributes === undefined ? link : { ...link, attributes: scrubAttributes(link.attributes) }
    ),
    events: span.events.map(scrubEvent),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount
  }
  if (span.parentSpanContext !== undefined) scrubbed.parentSpanContext = span.parentSpanContext
  return scrubbed
}

/** `exporter`, handed every span scrubbed (`scrubSpan`). */
export class ScrubbingSpanExporter implements SpanExporter {
  constructor(readonly exporter: SpanExporter) {}
  export(spans: Array<ReadableSpan>, resultCallback: (result: ExportResult) => void): void {
    this.exporter.export(spans.map(scrubSpan), resultCallback)
  }
  shutdown(): Promise<void> {
    return this.exporter.shutdown()
  }
  forceFlush(): Promise<void> {
    return this.exporter.forceFlush?.() ?? Promise.resolve()
  }
}

/** The collection with every data point's attribute values scrubbed (`maskPans`). */
export const scrubCollection = (collection: CollectionResult): CollectionResult => ({
  ...collection,
  resourceMetrics: {
    ...collection.resourceMetrics,
    scopeMetrics: collection.resourceMetrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map(
        (metric) =>
          ({
            ...metric,
            dataPoints: (metric.dataPoints as ReadonlyArray<{ readonly attributes: Attributes }>).map((point) => ({
              ...point,
              attributes: scrubAttributes(point.attributes)
            }))
          }) as typeof metric
      )
    }))
  }
})

/** `producer`, whose every collection is scrubbed (`scrubCollection`): what every metric reader reads. */
export const scrubbingProducer = (producer: MetricProducer): MetricProducer => ({
  collect: (options) => producer.collect(options).then(scrubCollection)
})
