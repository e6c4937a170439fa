import { Clock, Effect, Random } from "effect"

export interface TraceNumbers {
  /** 6 digits, fresh per request. */
  readonly systemsTraceAuditNumber: string
  /** `ydddhhnnnnnn`: last digit of the year, day of the year, hour (UTC), then the trace number. */
  readonly retrievalReferenceNumber: string
}

const pad = (n: number, width: number) => String(n).padStart(width, "0")

export const traceNumbersAt = (nowMillis: number, trace: number): TraceNumbers => {
  const now = new Date(nowMillis)
  const year = now.getUTCFullYear()
  const dayOfYear = Math.floor((nowMillis - Date.UTC(year, 0, 1)) / 86_400_000) + 1
  const systemsTraceAuditNumber = pad(trace, 6)
  return {
    systemsTraceAuditNumber,
    retrievalReferenceNumber: `${year % 10}${pad(dayOfYear, 3)}${pad(now.getUTCHours(), 2)}${systemsTraceAuditNumber}`
  }
}

/** Trace numbers for a request made now, from Effect's `Clock` and `Random` (so tests can pin both). */
export const nextTraceNumbers: Effect.Effect<TraceNumbers> = Effect.zipWith(
  Clock.currentTimeMillis,
  Random.nextIntBetween(0, 1_000_000),
  traceNumbersAt
)
