import type { ExportResult } from "@opentelemetry/core"
import type { PushMetricExporter } from "@opentelemetry/sdk-metrics"
import type { SpanExporter } from "@opentelemetry/sdk-trace-base"

/*
 * The SDK reports a failed export only to OpenTelemetry's diagnostic logger, which nothing registers:
 * a collector that is down or refuses cardkit's posts would go unnoticed. These exporters tell
 * `report` of every failure, as it comes back, with the exporter's own error (a status, a refused
 * connection: never a span's or a metric's contents).
 */

/** Told of a failed export, with the exporter's error or, from the export thread, its message. */
export type Report = (error: { readonly message: string } | undefined) => void

const reporting =
  (report: Report, resultCallback: (result: ExportResult) => void) =>
  (result: ExportResult): void => {
    if (result.code !== 0) report(result.error)
    resultCallback(result)
  }

/** `exporter`, each failed export told to `report`. */
export const spanExporter = (exporter: SpanExporter, report: Report): SpanExporter => ({
  export: (spans, resultCallback) => exporter.export(spans, reporting(report, resultCallback)),
  shutdown: () => exporter.shutdown(),
  forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve()
})

/** `exporter`, each failed export told to `report`. */
export const metricExporter = (exporter: PushMetricExporter, report: Report): PushMetricExporter => ({
  export: (metrics, resultCallback) => exporter.export(metrics, reporting(report, resultCallback)),
  shutdown: () => exporter.shutdown(),
  forceFlush: () => exporter.forceFlush(),
  ...(exporter.selectAggregationTemporality === undefined
    ? {}
    : { selectAggregationTemporality: exporter.selectAggregationTemporality.bind(exporter) }),
  ...(exporter.selectAggregation === undefined ? {} : { selectAggregation: exporter.selectAggregation.bind(exporter) })
})
