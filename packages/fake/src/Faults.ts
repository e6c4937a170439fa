import { ProviderUnavailable } from "@cardkit/domain"
import type { OperationName } from "@cardkit/ledger"
import { Effect, Option, Random } from "effect"

/** What the fake can do wrong, per operation. On the wire each is a distinct failure mode. */
export type Fault =
  | { readonly _tag: "Latency"; readonly millis: number }
  /** HTTP 503 on the wire. */
  | { readonly _tag: "Unavailable" }
  /** The connection is destroyed without an answer. */
  | { readonly _tag: "Reset" }
  /** An HTML error page instead of the protocol's JSON. */
  | { readonly _tag: "Garbage" }
  /** JSON cut off half-way. */
  | { readonly _tag: "Truncated" }

export type FaultTag = Fault["_tag"]

/**
 * Every operation the fake serves, faults injected per operation: the ledger's, named as its
 * operation table names them (`getCvv`, `updateStatus`, …), and Visa's account validation.
 */
export type FakeOperation = OperationName | "validateAccount"

export interface FaultSpec {
  /** Added before every answer that is not otherwise faulted. */
  readonly latencyMillis?: number
  /** Probability in [0, 1] that a call fails with `failWith`, drawn from a seeded generator. */
  readonly failureRate?: number
  /** The fault a `failureRate` draw produces; `Unavailable` by default. */
  readonly failWith?: Exclude<FaultTag, "Latency">
  /** Faults for the next calls, consumed in order before the rate applies (`Latency` uses `latencyMillis`). */
  readonly failures?: ReadonlyArray<FaultTag>
  /** Seed of the failure-rate draws, so a run can be replayed exactly. */
  readonly seed?: number
}

interface FaultState {
  readonly spec: FaultSpec
  readonly scripted: Array<FaultTag>
  readonly random: Random.Random
}

const toFault = (tag: FaultTag, spec: FaultSpec): Fault =>
  tag === "Latency" ? { _tag: "Latency", millis: spec.latencyMillis ?? 0 } : { _tag: tag }

/**
 * A fault as the in-memory provider shows it: latency delays (on Effect's clock, so `TestClock`
 * controls it), every other fault fails as `ProviderUnavailable` naming it.
 */
export const faultEffect = (fault: Fault, provider = "fake"): Effect.Effect<void, ProviderUnavailable> =>
  fault._tag === "Latency"
    ? Effect.sleep(fault.millis)
    : Effect.fail(new ProviderUnavailable({ provider, reason: `injected fault: ${fault._tag}` }))

/** Run `effect` after the operation's next injected fault, if any, as the in-memory fakes show it. */
export const withFault = <A, E>(
  next: (operation: FakeOperation) => Effect.Effect<Option.Option<Fault>>,
  operation: FakeOperation,
  effect: Effect.Effect<A, E>
): Effect.Effect<A, E | ProviderUnavailable> =>
  Effect.flatMap(next(operation), (fault) =>
    Option.isNone(fault) ? effect : Effect.zipRight(faultEffect(fault.value), effect)
  )

/** Per-operation fault schedules. Mutable on purpose: every step is one synchronous update. */
export const makeFaults = () => {
  const states = new Map<FakeOperation, FaultState>()
  return {
    inject: (operation: FakeOperation, spec: FaultSpec) =>
      Effect.sync(() => {
        states.set(operation, {
          spec,
          scripted: [...(spec.failures ?? [])],
          random: Random.make(spec.seed ?? 0)
        })
      }),
    clear: Effect.sync(() => states.clear()),
    next: (operation: FakeOperation): Effect.Effect<Option.Option<Fault>> =>
      Effect.suspend(() => {
        const state = states.get(operation)
        if (state === undefined) return Effect.succeedNone
        const scripted = state.scripted.shift()
        if (scripted !== undefined) return Effect.succeedSome(toFault(scripted, state.spec))
        const rate = state.spec.failureRate ?? 0
        const latency = Option.some(toFault("Latency", state.spec)).pipe(
          Option.filter(() => (state.spec.latencyMillis ?? 0) > 0)
        )
        if (rate <= 0) return Effect.succeed(latency)
        return Effect.map(state.random.next, (draw) =>
          draw < rate ? Option.some(toFault(state.spec.failWith ?? "Unavailable", state.spec)) : latency
        )
      })
  }
}
