import { Readable } from "node:stream"
import { Cause, Effect, HashMap, Layer, List, Logger, LogLevel } from "effect"
import { request } from "undici"

export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly text: string
  /** The body as JSON (untyped, as `JSON.parse` gives it), `undefined` when it is not JSON. */
  readonly json: ReturnType<typeof JSON.parse>
}

export interface Sent {
  readonly method?: "GET" | "POST" | "PUT"
  readonly body?: string | Uint8Array | AsyncIterable<Uint8Array>
  readonly headers?: Readonly<Record<string, string>>
}

const parsed = (text: string): ReturnType<typeof JSON.parse> => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** One request over undici, as any client sends it (JSON unless `headers` say otherwise). */
export const send = async (url: string, sent: Sent = {}): Promise<Answer> => {
  const response = await request(url, {
    method: sent.method ?? "POST",
    ...(sent.body === undefined
      ? {}
      : {
          body: typeof sent.body === "string" || sent.body instanceof Uint8Array ? sent.body : Readable.from(sent.body)
        }),
    headers: { "content-type": "application/json", ...sent.headers }
  })
  const text = await response.body.text()
  return { status: response.statusCode, headers: response.headers, text, json: parsed(text) }
}

export const sendEffect = (url: string, sent?: Sent) => Effect.promise(() => send(url, sent))

export interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  readonly spans: ReadonlyArray<string>
  readonly cause: string
}

/** Every log line of whatever the layer is provided to, at every level, kept in `lines`. */
export const captureLogs = () => {
  const lines: Array<LogLine> = []
  const layer = Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ logLevel, message, annotations, spans, cause }) => {
        lines.push({
          level: logLevel.label,
          message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
          annotations: Object.fromEntries(HashMap.toEntries(annotations)),
          spans: List.toArray(spans).map((span) => span.label),
          cause: Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
        })
      })
    ),
    Logger.minimumLogLevel(LogLevel.All)
  )
  return { layer, lines }
}

/**
 * A body that sends a sliver of what it declares, then waits until `release`: only a server that
 * refuses it without reading it whole can answer before `release` is called.
 */
export const stalledBody = () => {
  let release = () => {}
  const stalled = new Promise<void>((resolve) => {
    release = resolve
  })
  async function* sliver() {
    yield Buffer.alloc(1024, 0x20)
    await stalled
  }
  return { body: sliver(), release: () => release() }
}

/** A body that never ends by itself; `ended()` tells whether the server stopped reading it. */
export const endlessBody = () => {
  let ended = false
  async function* endless() {
    try {
      for (;;) yield Buffer.alloc(64 * 1024, 0x20)
    } finally {
      ended = true
    }
  }
  return { body: endless(), ended: () => ended }
}
