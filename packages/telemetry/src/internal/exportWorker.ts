import { parentPort, workerData } from "node:worker_threads"
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { OTLPTraceExporter as ProtobufTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { readable } from "./spanRecord.js"
import { batchProcessor, type ExportWorkerData, type FromWorker, type ToWorker } from "./spanSink.js"

/*
 * The export thread (`spanSink.ts` says why): the spans the serving thread hands over, made readable
 * and scrubbed here, through the SDK's batch processor to its OTLP/HTTP trace exporter.
 */

const data = workerData as ExportWorkerData
const port = parentPort
if (port === null) throw new Error("exportWorker.js runs only as cardkit's export thread")
const answer = (message: FromWorker) => port.postMessage(message)

const exporter = new (data.protocol === "http/protobuf" ? ProtobufTraceExporter : JsonTraceExporter)(
  data.headers === undefined ? { url: data.url } : { url: data.url, headers: { ...data.headers } }
)
const processor = batchProcessor(
  exporter,
  // The exporter's own error, a status or a refused connection, never a span's contents.
  (error) => answer({ _tag: "Failed", error: error === undefined ? undefined : { message: error.message } }),
  data.scheduledDelayMillis
)
const resource = resourceFromAttributes(data.resource)

port.on("message", (message: ToWorker) => {
  switch (message._tag) {
    case "Spans":
      for (const span of message.spans) processor.onEnd(readable(span, resource))
      answer({ _tag: "Taken", count: message.spans.length })
      return
    case "Flush":
    case "Shutdown":
      // A failed last export is told where it fails; the answer only says the work is over.
      ;(message._tag === "Flush" ? processor.forceFlush() : processor.shutdown())
        .catch(() => undefined)
        .then(() => answer({ _tag: "Done", id: message.id }))
  }
})
