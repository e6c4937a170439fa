import { cpus } from "node:os"
import { Effect, type ManagedRuntime } from "effect"
import { Agent, request } from "undici"

/** One row of the results table: our figure against a baseline measured in the same run. */
export interface Figure {
  readonly section: string
  readonly metric: string
  readonly ours: number
  readonly baseline: number
  readonly unit: string
  /** ours / baseline, or baseline / ours where lower is better (see `higherIsBetter`). */
  readonly ratio: number
  readonly higherIsBetter: boolean
  readonly goal: string
  readonly met: boolean
  readonly note?: string
}

export const figure = (f: Omit<Figure, "ratio">): Figure => ({ ...f, ratio: f.ours / f.baseline })

/** A calls-per-second figure; without `goal` (a least ratio) it is reported only. */
export const callsFigure = (f: {
  readonly section: string
  readonly metric: string
  readonly ours: LoadResult
  readonly baseline: LoadResult
  readonly goal?: number
  readonly note: string
}): Figure =>
  figure({
    section: f.section,
    metric: f.metric,
    ours: f.ours.perSecond,
    baseline: f.baseline.perSecond,
    unit: "calls/s",
    higherIsBetter: true,
    goal: f.goal === undefined ? "(reported)" : `ratio ≥ ${f.goal}`,
    met: f.goal === undefined || f.ours.perSecond / f.baseline.perSecond >= f.goal,
    note: f.note
  })

/** The same client called from promise code, `runtime.runPromise` per call, against the same baseline. */
export const fromPromisesFigure = (section: string, fromPromises: LoadResult, baseline: LoadResult): Figure =>
  callsFigure({
    section,
    metric: "the same, each call from promise code (`runtime.runPromise`)",
    ours: fromPromises,
    baseline,
    note: `a root fiber and a promise per call, what calling cardkit from non-Effect code adds; client CPU ${Math.round(fromPromises.cpuMicrosPerCall)} µs/call`
  })

export interface LoadResult {
  readonly calls: number
  readonly seconds: number
  readonly perSecond: number
  /** Client CPU (user + system) per call, in microseconds. */
  readonly cpuMicrosPerCall: number
}

interface LoadOptions {
  readonly concurrency: number
  readonly seconds: number
  readonly warmupSeconds?: number
}

/** Run `round` for a warm-up, then again for `seconds`, and count the calls it made and the CPU they took. */
const measured = async (
  round: (seconds: number, counted: () => void) => Promise<unknown>,
  options: LoadOptions
): Promise<LoadResult> => {
  const run = async (seconds: number) => {
    let calls = 0
    const cpu = process.cpuUsage()
    const start = performance.now()
    await round(seconds, () => {
      calls++
    })
    const elapsed = (performance.now() - start) / 1000
    const used = process.cpuUsage(cpu)
    return { calls, seconds: elapsed, perSecond: calls / elapsed, cpuMicrosPerCall: (used.user + used.system) / calls }
  }
  await run(options.warmupSeconds ?? 0.5)
  return run(options.seconds)
}

/** Keep `concurrency` promise-returning calls in flight for `seconds` (after a short warm-up) and count them. */
export const load = (call: () => Promise<unknown>, options: LoadOptions): Promise<LoadResult> =>
  measured(async (seconds, counted) => {
    const deadline = performance.now() + seconds * 1000
    const worker = async () => {
      while (performance.now() < deadline) {
        await call()
        counted()
      }
    }
    await Promise.all(Array.from({ length: options.concurrency }, worker))
  }, options)

/**
 * The same for an effect, as an Effect program makes its calls: `concurrency` fibers of one running
 * program, each making the call again as soon as it returns (no promise, and no root fiber, per call).
 */
export const loadEffect = <R>(
  runtime: ManagedRuntime.ManagedRuntime<R, unknown>,
  call: Effect.Effect<unknown, unknown, R>,
  options: LoadOptions
): Promise<LoadResult> =>
  measured((seconds, counted) => {
    const deadline = performance.now() + seconds * 1000
    const worker: Effect.Effect<void, unknown, R> = Effect.suspend(() =>
      performance.now() < deadline ? Effect.zipRight(Effect.tap(call, counted), worker) : Effect.void
    )
    return runtime.runPromise(
      Effect.forEach(Array.from({ length: options.concurrency }), () => worker, {
        concurrency: "unbounded",
        discard: true
      })
    )
  }, options)

export const machine = () => ({ cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version })

export const round = (n: number, digits = 2) => Number(n.toFixed(digits))

/** How transport clients are driven: the same for cardkit's client and for its raw baseline. */
export const transportLoad = { concurrency: 16, seconds: 3, warmupSeconds: 1 } as const

/** Rounds of every measurement in a comparison. */
export const rounds = 3

/**
 * Run each measurement `times` times (`rounds` unless given), taking turns, and keep each one's
 * median round (by `score`): on a shared 2-core machine load comes and goes, and taking turns spreads
 * it over all of them alike instead of charging it to whichever ran during a burst. Every other round
 * runs them in reverse order, so a machine slowing down or speeding up through the run is not charged
 * to whichever comes last in each round.
 */
export const interleaved = async <K extends string, R>(
  measurements: Record<K, () => Promise<R>>,
  score: (result: R) => number,
  times: number = rounds
): Promise<Record<K, R>> => {
  const names = Object.keys(measurements) as Array<K>
  const results = new Map<K, Array<R>>(names.map((name) => [name, []]))
  for (let round = 0; round < times; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      results.get(name)!.push(await measurements[name]())
    }
  }
  return Object.fromEntries(
    names.map((name) => {
      const sorted = [...results.get(name)!].sort((a, b) => score(a) - score(b))
      return [name, sorted[Math.floor(sorted.length / 2)]!]
    })
  ) as Record<K, R>
}

export const perSecond = (result: LoadResult) => result.perSecond

/** What a raw call makes per call: its body, or its body with headers of its own (a signature). */
export type RawBody = string | { readonly body: string; readonly headers: Record<string, string> }

/**
 * The floor any HTTP client can reach: raw undici on a keep-alive agent posting `body` (or what it
 * makes per call) and parsing the JSON answer, then `then` with it. Run the result under
 * `transportLoad`; `close` the agent after.
 */
export const rawPost = (
  url: string,
  body: string | (() => RawBody | Promise<RawBody>),
  headers: Record<string, string> = {},
  then?: (answer: unknown) => Promise<unknown>
) => {
  const agent = new Agent({ keepAliveTimeout: 60_000 })
  return {
    call: async () => {
      const made = typeof body === "string" ? body : await body()
      const response = await request(url, {
        method: "POST",
        body: typeof made === "string" ? made : made.body,
        headers:
          typeof made === "string"
            ? { "content-type": "application/json", ...headers }
            : { "content-type": "application/json", ...headers, ...made.headers },
        dispatcher: agent
      })
      const answer = JSON.parse(await response.body.text())
      // Awaited only when there is one: an extra await per call would slow the plain baseline.
      if (then !== undefined) await then(answer)
    },
    close: () => agent.close()
  }
}
