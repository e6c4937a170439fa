import type { Attributes } from "@opentelemetry/api"
import type { CollectionResult, MetricProducer } from "@opentelemetry/sdk-metrics"
import { scrubAttributes } from "./internal/scrubbing.js"

/*
 * Defence in depth, not the rule: instrumentation must never put card data (a PAN, CVV, CVV2, PIN or
 * TAVV) in a span name, an attribute, an event or a metric tag in the first place. Whatever slips
 * through anyway is masked at the last point before it leaves the process — a metric's tags here, a
 * span's parts as it becomes the span the exporter reads (`internal/spanRecord.ts`): every run of
 * digits that could be a PAN as `maskPans` shows it, and in error text (exception events, a span's
 * status message), which may quote a request, every run that could be a CVV cut out by `scrubCardData`.
 */

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
