import { fileURLToPath } from "node:url"
import { SpanKind, SpanStatusCode } from "@opentelemetry/api"
import { describe, expect, it } from "@effect/vitest"
import type { SpanRecord } from "../src/internal/spanRecord.js"
import * as SpanSink from "../src/internal/spanSink.js"

const span = (name: string): SpanRecord => ({
  name,
  kind: SpanKind.INTERNAL,
  context: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1, isRemote: false },
  parent: undefined,
  startTime: [1_764_000_000, 0],
  endTime: [1_764_000_000, 1_000],
  attributes: {},
  links: [],
  events: [],
  status: { code: SpanStatusCode.OK },
  scope: { name: "cardkit-test" }
})

const data: SpanSink.ExportWorkerData = {
  url: "http://127.0.0.1:9/v1/traces",
  protocol: "http/json",
  headers: undefined,
  scheduledDelayMillis: undefined,
  resource: {}
}

describe("the export thread's hand-over", () => {
  it("drops spans while the thread is behind, says so once each time, and takes spans again once it caught up", async () => {
    const reports: Array<string | undefined> = []
    const sink = SpanSink.worker(data, (error) => reports.push(error?.message), {
      path: fileURLToPath(new URL("./fixtures/laggingExportWorker.mjs", import.meta.url)),
      maxInFlight: 5
    })
    for (let i = 0; i < 8; i++) sink.add(span(`before ${i}`))
    expect(reports).toEqual(["the export thread is behind; spans are dropped until it catches up"])
    // The thread takes what it holds when it flushes: the hand-over has room again.
    await sink.forceFlush()
    for (let i = 0; i < 7; i++) sink.add(span(`after ${i}`))
    await sink.shutdown()
    expect(reports).toEqual([
      "the export thread is behind; spans are dropped until it catches up",
      "the export thread is behind; spans are dropped until it catches up",
      "received 10"
    ])
  })

  it("takes nothing once shut down", async () => {
    const reports: Array<string | undefined> = []
    const sink = SpanSink.worker(data, (error) => reports.push(error?.message), {
      path: fileURLToPath(new URL("./fixtures/laggingExportWorker.mjs", import.meta.url))
    })
    sink.add(span("handed over"))
    await sink.shutdown()
    sink.add(span("too late"))
    await sink.forceFlush()
    expect(reports).toEqual(["received 1"])
  })
})
