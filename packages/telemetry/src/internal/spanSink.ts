import * as OtelResource from "@effect/opentelemetry/Resource"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { Worker } from "node:worker_threads"
import type { Attributes } from "@opentelemetry/api"
import type { Resource } from "@opentelemetry/resources"
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Context, Effect, Layer } from "effect"
import type { OtlpProtocol } from "../TelemetryConfig.js"
import * as ExportFailures from "./exportFailures.js"
import { fromReadable, readable, type SpanRecord } from "./spanRecord.js"

/** Where ended spans go: batched and exported on this thread or on the export thread. */
export interface SpanSink {
  readonly add: (span: SpanRecord) => void
  readonly forceFlush: () => Promise<void>
  /** Flushes, then stops: nothing added after is exported. */
  readonly shutdown: () => Promise<void>
}

/** The running telemetry's sink, shared by the tracer and `Telemetry.flush`. */
export class Sink extends Context.Tag("@cardkit/telemetry/internal/SpanSink")<Sink, SpanSink>() {
  /** The sink `make` gives for the service's resource, shut down (so flushed) when the scope closes. */
  static readonly layer = (make: (resource: Resource) => SpanSink): Layer.Layer<Sink, never, OtelResource.Resource> =>
    Layer.scoped(
      Sink,
      Effect.acquireRelease(Effect.map(OtelResource.Resource, make), (sink) =>
        // A last export that fails is logged where it fails (`exportFailures`), not a defect of the shutdown.
        Effect.promise(() => sink.shutdown().catch(() => undefined))
      )
    )
}

/** The SDK's batch processor over `exporter`, each failed export told to `report`. */
export const batchProcessor = (
  exporter: SpanExporter,
  report: ExportFailures.Report,
  scheduledDelayMillis: number | undefined
) =>
  new BatchSpanProcessor(
    ExportFailures.spanExporter(exporter, report),
    scheduledDelayMillis === undefined ? {} : { scheduledDelayMillis }
  )

/** Spans exported on this thread: to an exporter the app hands over (tests' `InMemorySpanExporter`). */
export const inProcess = (processor: SpanProcessor, resource: Resource): SpanSink => ({
  add: (span) => processor.onEnd(readable(span, resource)),
  forceFlush: () => processor.forceFlush(),
  shutdown: () => processor.shutdown()
})

/** What the export thread is started with: everything it needs to export as this thread would. */
export interface ExportWorkerData {
  readonly url: string
  readonly protocol: OtlpProtocol
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly scheduledDelayMillis: number | undefined
  readonly resource: Attributes
}

export type ToWorker =
  | { readonly _tag: "Spans"; readonly spans: ReadonlyArray<SpanRecord> }
  | { readonly _tag: "Flush" | "Shutdown"; readonly id: number }

export type FromWorker =
  | { readonly _tag: "Done"; readonly id: number }
  /** The export thread took `count` spans handed over (into its processor, which may drop them as its queue is full). */
  | { readonly _tag: "Taken"; readonly count: number }
  | { readonly _tag: "Failed"; readonly error: { readonly message: string } | undefined }

// Resolved through the package, so from its sources (tests), its build and a bundle that inlines it
// alike: the thread runs the built module.
const workerPath = () =>
  Path.join(
    Path.dirname(createRequire(import.meta.url).resolve("@cardkit/telemetry/package.json")),
    "dist/internal/exportWorker.js"
  )

// Spans are handed over in batches the size the processor exports at most, and at least this often:
// each hand-over costs a message, and the wait is nothing beside the processor's own delay.
const handOverSize = 512
const handOverMillis = 50
// Spans handed over that the export thread has not taken yet, at most: four times the processor's
// own queue (2048 by default). An export thread that falls behind costs spans, as a full queue does
// in the SDK, not the serving process's memory.
const maxInFlight = 8192

export interface WorkerOptions {
  /** The module the thread runs (tests: one that falls behind). */
  readonly path?: string | undefined
  readonly maxInFlight?: number | undefined
}

/*
 * Why spans are exported from a worker thread: converting them to OTLP, serializing and posting them,
 * with the garbage and the sockets' callbacks that brings, cost the serving thread a large part of a
 * traced request (apps/bench/README.md, telemetry). The serving thread only hands records over; the
 * export thread runs the SDK's batch processor and OTLP exporter as this thread would, with the same
 * `OTEL_*` environment.
 */
export const worker = (
  data: ExportWorkerData,
  report: ExportFailures.Report,
  options: WorkerOptions = {}
): SpanSink => {
  // The thread loads built modules only: no `--conditions` of a test runner, no inspector flags.
  const thread = new Worker(options.path ?? workerPath(), { workerData: data, execArgv: [] })
  thread.unref()
  const limit = options.maxInFlight ?? maxInFlight
  const waiting = new Map<number, () => void>()
  let next = 0
  let stopped = false
  let pending: Array<SpanRecord> = []
  let inFlight = 0
  let dropping = false
  let timer: ReturnType<typeof setTimeout> | undefined

  const stop = () => {
    stopped = true
    for (const resume of waiting.values()) resume()
    waiting.clear()
  }
  thread.on("message", (message: FromWorker) => {
    if (message._tag === "Failed") return report(message.error)
    if (message._tag === "Taken") {
      inFlight -= message.count
      return
    }
    waiting.get(message.id)?.()
    waiting.delete(message.id)
    // A flush or a shutdown under way keeps the process alive until it is answered.
    if (waiting.size === 0) thread.unref()
  })
  thread.on("error", (error) => {
    report(error)
    stop()
  })
  thread.on("exit", stop)

  const handOver = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (pending.length === 0) return
    thread.postMessage({ _tag: "Spans", spans: pending } satisfies ToWorker)
    inFlight += pending.length
    pending = []
  }
  const ask = (_tag: "Flush" | "Shutdown") =>
    new Promise<void>((resume) => {
      if (stopped) return resume()
      handOver()
      const id = next++
      waiting.set(id, resume)
      thread.ref()
      thread.postMessage({ _tag, id } satisfies ToWorker)
    })

  return {
    add: (span) => {
      if (stopped) return
      if (inFlight + pending.length >= limit) {
        // Told once each time the thread falls behind, not once per span.
        if (!dropping) report({ message: "the export thread is behind; spans are dropped until it catches up" })
        dropping = true
        return
      }
      dropping = false
      pending.push(span)
      if (pending.length >= handOverSize) handOver()
      else timer ??= setTimeout(handOver, handOverMillis).unref()
    },
    forceFlush: () => ask("Flush"),
    shutdown: () =>
      ask("Shutdown").then(() => {
        stopped = true
        return thread.terminate().then(() => undefined)
      })
  }
}

/** `sink` as the span processor of an OpenTelemetry tracer provider (`propagateOtelContext`). */
export const processor = (sink: SpanSink): SpanProcessor => ({
  onStart: () => undefined,
  onEnd: (span) => sink.add(fromReadable(span)),
  forceFlush: () => sink.forceFlush(),
  shutdown: () => sink.shutdown()
})
