import { Cause, Effect, Exit, FiberRef, Metric, MetricBoundaries, MetricLabel, Option, Tracer } from "effect"
import { spanned } from "./internal/spanned.js"

export type { SpanOptions } from "./internal/spanned.js"

/*
 * cardkit's metrics, defined once, and the span every provider call makes. Built on Effect's own
 * `Metric` and `Tracer` only: the libraries stay free of an exporter, and whatever tracer and metric
 * reader an app installs (`@cardkit/telemetry`, or a team's own) sees them.
 *
 * Label values are only operation names, outcome tags, provider names and scopes — a small, fixed set
 * each — never an id and never card data, so a label can neither leak a card nor grow a series per
 * request. The package README's "Metrics" table lists the same.
 */

/*
 * Spans only where they go somewhere (`whenTraced`). Why: an Effect span costs a provider call a
 * noticeable share of its CPU even when the tracer is disabled or is Effect's own native tracer,
 * which keeps nothing (apps/bench/README.md, `CardkitMetrics`); a program that installs no tracer —
 * a team calling a transport directly, the demo exporting nothing — should not pay for spans nobody
 * reads. The metrics are recorded either way.
 */

/** Effect's own tracer, the one a program runs with until it installs another. */
const nativeTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

/** `traced` when the current fiber's spans reach a tracer (enabled, not the native one), else `untraced`. */
export const whenTraced = <A, E, R>(
  traced: Effect.Effect<A, E, R>,
  untraced: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) =>
    fiber.currentTracer !== nativeTracer && fiber.getFiberRef(FiberRef.currentTracerEnabled) ? traced : untraced
  )

/**
 * `cardkit_reveals_total{operation, outcome}`: card-secret reveals through the `CardSecrets` port.
 * `operation` is the port method (`getCvv`); `outcome` is `ok` or the failure's tag (`CardNotFound`,
 * `BudgetExceeded`, `ProviderUnavailable`, …, `Defect`, `Interrupted`).
 */
export const reveals = Metric.counter("cardkit_reveals_total", {
  description: "Card-secret reveals through the CardSecrets port, by operation and outcome (ok or the error tag).",
  incremental: true
})

/**
 * `cardkit_account_validations_total{outcome}`: account validations through the `AccountValidation`
 * port. `outcome` is `approved`, `declined` (a decline is an answer, not an error) or the failure's tag.
 */
export const accountValidations = Metric.counter("cardkit_account_validations_total", {
  description:
    "Account validations through the AccountValidation port, by outcome (approved, declined or the error tag).",
  incremental: true
})

/**
 * `cardkit_lifecycle_writes_total{operation, outcome}`: calls of the `CardLifecycle` port that change
 * a card or check its CVV (`issueCard`, `activate`, `lock`, `unlock`, `reportLostStolen`, `replace`,
 * `close`, `changePin`, `validateCvv`, `setLimit`); `outcome` is `ok` or the failure's tag. Reads are
 * traced, not counted.
 */
export const lifecycleWrites = Metric.counter("cardkit_lifecycle_writes_total", {
  description: "Card lifecycle writes and CVV checks through the CardLifecycle port, by operation and outcome.",
  incremental: true
})

/**
 * `cardkit_budget_refusals_total{scope}`: reveals refused because a reveal budget is spent; `scope` is
 * whose budget (`card` or `customer`). Each is also in `cardkit_reveals_total` as `BudgetExceeded`.
 */
export const budgetRefusals = Metric.counter("cardkit_budget_refusals_total", {
  description: "Reveals refused by a spent reveal budget, by scope (card or customer).",
  incremental: true
})

/**
 * `cardkit_provider_retries_total{provider, operation}`: attempts a transport made again after a
 * failure it retries (a read the ledger could not answer, a Visa call that may be repeated).
 * `operation` is the provider's own (`GET_CVV`, `cardvalidation`).
 */
export const providerRetries = Metric.counter("cardkit_provider_retries_total", {
  description: "Provider calls attempted again after a retryable failure, by provider and operation.",
  incremental: true
})

/**
 * `cardkit_provider_call_duration_seconds{provider, operation, outcome}`: how long one provider call
 * took, from sending to its answer decoded. On the ledger each attempt is one call; on Visa the call
 * includes its retries. `outcome` is `ok` or the failure's tag. The buckets run from a loopback
 * answer to the longest a provider is given.
 */
export const providerCallDuration = Metric.histogram(
  "cardkit_provider_call_duration_seconds",
  MetricBoundaries.fromIterable([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  "Provider call duration in seconds, by provider, operation and outcome (ok or the error tag)."
)

const tagOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : "Error"

/** How a call ended, as a label value: `ok`, the failure's tag, `Defect` or `Interrupted`. */
export const outcomeOf = (exit: Exit.Exit<unknown, unknown>): string =>
  Exit.isSuccess(exit)
    ? "ok"
    : Option.match(Cause.failureOption(exit.cause), {
        onSome: tagOf,
        onNone: () => (Cause.isInterruptedOnly(exit.cause) ? "Interrupted" : "Defect")
      })

type Labellable = Metric.Metric.Counter<number> | Metric.Metric.Histogram<number>

/**
 * `metric` under `labels`, built once per label set. Why: building a labelled metric costs more than
 * updating it (a histogram's most; apps/bench/README.md, `CardkitMetrics`), and label values are a
 * small fixed set, so the cache stays small.
 */
const labelled = <M extends Labellable>(metric: M, labels: Readonly<Record<string, string>>): M => {
  let byLabels = labelledMetrics.get(metric)
  if (byLabels === undefined) {
    byLabels = new Map()
    labelledMetrics.set(metric, byLabels)
  }
  let key = ""
  for (const label in labels) key += `${label}=${labels[label]}\u0000`
  let found = byLabels.get(key)
  if (found === undefined) {
    found = Metric.taggedWithLabels(
      metric as Metric.Metric<unknown, number, unknown>,
      Object.entries(labels).map(([label, value]) => MetricLabel.make(label, value))
    ) as M
    byLabels.set(key, found)
  }
  return found as M
}

const labelledMetrics = new WeakMap<Labellable, Map<string, Labellable>>()

/** `metric` incremented under `labels`. */
export const count = (
  metric: Metric.Metric.Counter<number>,
  labels: Readonly<Record<string, string>>
): Effect.Effect<void> => Metric.increment(labelled(metric, labels))

/** How many `metric` has counted under exactly `labels` so far. */
export const countOf = (
  metric: Metric.Metric.Counter<number>,
  labels: Readonly<Record<string, string>>
): Effect.Effect<number> => Effect.map(Metric.value(labelled(metric, labels)), (state) => state.count)

/** One more `cardkit_provider_retries_total` for `provider`'s `operation`. */
export const countRetry = (provider: string, operation: string): Effect.Effect<void> =>
  count(providerRetries, { provider, operation })

/** One call to a provider, as its transport names it. */
export interface ProviderCall {
  /** The span's name: `ledger.GET_CVV`, `visa.cardvalidation`. */
  readonly span: string
  readonly provider: string
  /** The provider's own name of the operation (`GET_CVV`, `cardvalidation`). */
  readonly operation: string
  /** Which attempt this is (1, 2, …), when the transport knows it at the start. */
  readonly attempt?: number | undefined
}

/**
 * `effect` as one provider call: a client span `call.span` (attributes `cardkit.provider`,
 * `cardkit.operation`, `cardkit.attempt`, and at its end `cardkit.outcome`) and its duration in
 * `cardkit_provider_call_duration_seconds`. `annotate` adds what the answer says (a provider's codes)
 * to the span as it ends; it must add no card data. A transport's failure paths may also call
 * `Effect.annotateCurrentSpan` inside `effect`: the span is current there.
 */
export const observeProviderCall = <A, E, R>(
  call: ProviderCall,
  effect: Effect.Effect<A, E, R>,
  annotate?: (exit: Exit.Exit<A, E>, span: Tracer.Span) => void
): Effect.Effect<A, E, R> =>
  Effect.clockWith((clock) => {
    const started = clock.unsafeCurrentTimeNanos()
    const timed = (outcome: string) =>
      Metric.update(
        labelled(providerCallDuration, { provider: call.provider, operation: call.operation, outcome }),
        Number(clock.unsafeCurrentTimeNanos() - started) / 1e9
      )
    return whenTraced(
      inSpan(
        call.span,
        {
          kind: "client",
          attributes:
            call.attempt === undefined
              ? { "cardkit.provider": call.provider, "cardkit.operation": call.operation }
              : {
                  "cardkit.provider": call.provider,
                  "cardkit.operation": call.operation,
                  "cardkit.attempt": call.attempt
                }
        },
        effect,
        (exit, span) => {
          const outcome = outcomeOf(exit)
          span.attribute("cardkit.outcome", outcome)
          annotate?.(exit, span)
          return timed(outcome)
        }
      ),
      Effect.onExit(effect, (exit) => timed(outcomeOf(exit)))
    )
  })

/**
 * `effect` in a new span `name`, the parent of every span `effect` starts; as it ends, `ended` runs
 * with its exit and the span (to add what the answer says), then the span ends. The span is made as
 * `Effect.makeSpan` makes one (the current tracer, parent, annotations and links), without a stack
 * trace. `Effect.withSpan` does the same in more steps of the run loop.
 */
export const inSpan = spanned

/**
 * `effect` run under a tracer that keeps every span it starts (the native tracer's, so name,
 * attributes, events and exit), with those spans: what a test reads to see what a flow traced.
 */
export const recordingSpans = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<readonly [Exit.Exit<A, E>, ReadonlyArray<Tracer.Span>], never, R> =>
  Effect.flatMap(Effect.tracer, (native) => {
    const spans: Array<Tracer.Span> = []
    const tracer = Tracer.make({
      span: (...args) => {
        const span = native.span(...args)
        spans.push(span)
        return span
      },
      context: native.context
    })
    return Effect.map(Effect.exit(Effect.withTracer(effect, tracer)), (exit) => [exit, spans] as const)
  })

/**
 * Every string the given spans and the current metrics would hand an exporter: span names, attribute
 * keys and values, event names and attributes, the rendered cause of a failed span (its stack
 * frames left out), and every metric's name and labels — what a test scans for card data.
 */
export const telemetryStrings = (spans: ReadonlyArray<Tracer.Span>): Effect.Effect<ReadonlyArray<string>> =>
  Effect.map(Metric.snapshot, (pairs) => {
    const strings: Array<string> = []
    for (const span of spans) {
      strings.push(span.name)
      for (const [key, value] of span.attributes) strings.push(key, String(value))
      const events = (span as { readonly events?: ReadonlyArray<readonly [string, bigint, Record<string, unknown>]> })
        .events
      for (const [name, , attributes] of events ?? []) strings.push(name, JSON.stringify(attributes))
      if (span.status._tag === "Ended" && Exit.isFailure(span.status.exit)) {
        // Stack frames name source files and lines, whose numbers a scan for digits would trip on.
        strings.push(
          ...Cause.pretty(span.status.exit.cause)
            .split("\n")
            .filter((line) => !/^\s+at /.test(line))
        )
      }
    }
    for (const pair of pairs) {
      strings.push(pair.metricKey.name)
      for (const label of pair.metricKey.tags) strings.push(label.key, label.value)
    }
    return strings
  })
