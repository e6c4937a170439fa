import type { BudgetExceeded } from "@cardkit/domain"
import { Effect } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"

/*
 * Concurrent reserves decided together, for SQLite: a reserve's statements through `@effect/sql` cost
 * far more than the few comparisons that decide it, so a batch reads what it needs in two statements
 * (the prune, which returns the times of the events it deleted, and the counts), decides every reserve
 * here in submission order exactly as if each had run its own transaction after the previous one, at
 * its own time, then writes the batch's events and counts in one statement each.
 *
 * Per scope the decision needs how many events count at a reserve's time and, for a refusal, the one
 * that frees a place. The prune deletes what leaves the window by the batch's latest time; an earlier
 * reserve of the batch may still count some of those, so their times are kept here ("known") with the
 * events the batch records, while the table holds the rest ("base"), all still in the window.
 */

/** A budget a reveal spends, as one reserve sees it. */
export interface Scope {
  readonly scope: BudgetExceeded["scope"]
  /** The `reveal_events.scope` value, `card:<cardId>` or `customer:<customerId>`. */
  readonly key: string
  readonly limit: number
  readonly windowMillis: number
  readonly window: string
}

/** One reserve: its scopes in key order, at its caller's time. */
export interface Request {
  readonly scopes: ReadonlyArray<Scope>
  readonly now: number
}

/** A reserve's outcome: the recorded events, or the scope refusing and when it frees a place. */
export type Outcome =
  | { readonly _tag: "Reserved"; readonly events: ReadonlyArray<number> }
  | { readonly _tag: "Refused"; readonly scope: Scope; readonly freesAt: number }

/** A decided reserve: refused, or reserved with the positions of its events among the batch's inserts. */
export type Decision =
  | Extract<Outcome, { _tag: "Refused" }>
  | { readonly _tag: "Reserved"; readonly inserts: ReadonlyArray<number> }

/** The scopes a batch touches, each once. */
export const touchedScopes = (requests: ReadonlyArray<Request>): ReadonlyArray<Scope> => {
  const touched = new Map<string, Scope>()
  for (const request of requests) for (const scope of request.scopes) touched.set(scope.key, scope)
  return Array.from(touched.values())
}

/** What the batch read, before any of its writes. */
export interface BatchReads<E> {
  /** `reveal_counts` of the touched scopes that have a row. */
  readonly stored: ReadonlyMap<string, number>
  /** The events the prune deleted: each scope's at or before its latest reserve's time less the window. */
  readonly pruned: ReadonlyArray<{ readonly scope: string; readonly at: number }>
  /** The times of the `n` oldest events the table still holds of a scope. */
  readonly oldest: (key: string, n: number) => Effect.Effect<ReadonlyArray<number>, E>
}

export interface Decided {
  readonly decisions: ReadonlyArray<Decision>
  /** The events to record, in order. */
  readonly inserts: ReadonlyArray<{ readonly scope: string; readonly at: number }>
  /** The positions among `inserts` of events a later reserve of the batch already pruned. */
  readonly prunedInBatch: ReadonlyArray<number>
  /** Every count the batch changed. */
  readonly counts: ReadonlyArray<{ readonly scope: string; readonly count: number }>
}

interface Known {
  readonly at: number
  /** Its position among the batch's inserts, when the batch records it. */
  readonly insert?: number
}

interface ScopeState {
  readonly scope: Scope
  readonly stored: number | undefined
  /** How many events the table still holds: all in the window of every reserve of the batch. */
  readonly base: number
  /** Events not in the table that may count, oldest first. */
  readonly known: Array<Known>
  /** The oldest of the table's events, as far as a refusal needed them. */
  oldest: ReadonlyArray<number>
}

const insertSorted = (known: Array<Known>, entry: Known) => {
  let i = known.length
  while (i > 0 && (known[i - 1]?.at ?? 0) > entry.at) i--
  known.splice(i, 0, entry)
}

/** Decides `requests` in submission order, as if each had run alone after the previous one. */
export const decideInOrder = <E>(
  requests: NonEmptyReadonlyArray<Request>,
  reads: BatchReads<E>
): Effect.Effect<Decided, E> =>
  Effect.gen(function* () {
    const states = new Map<string, ScopeState>()
    for (const scope of touchedScopes(requests)) {
      const stored = reads.stored.get(scope.key)
      const known = reads.pruned
        .filter((row) => row.scope === scope.key)
        .map((row): Known => ({ at: row.at }))
        .sort((a, b) => a.at - b.at)
      states.set(scope.key, {
        scope,
        stored,
        base: (stored ?? 0) - known.length,
        known,
        oldest: []
      })
    }

    /** The `n`th (from 0) oldest event counting in the scope: the known ones merged with the table's. */
    const nthOldest = (state: ScopeState, n: number) =>
      Effect.gen(function* () {
        if (state.oldest.length <= n && state.oldest.length < state.base)
          state.oldest = yield* reads.oldest(
            state.scope.key,
            Math.min(state.base, Math.max(n + 1, 2 * state.oldest.length))
          )
        let k = 0
        let t = 0
        for (let i = 0; ; i++) {
          const known = state.known[k]?.at
          const table = state.oldest[t]
          if (known === undefined && table === undefined) return undefined
          const fromKnown = table === undefined || (known !== undefined && known <= table)
          if (i === n) return fromKnown ? known : table
          if (fromKnown) k++
          else t++
        }
      })

    const decisions: Array<Decision> = []
    const inserts: Array<{ scope: string; at: number }> = []
    const prunedInBatch: Array<number> = []
    for (const request of requests) {
      let refusal: Extract<Decision, { _tag: "Refused" }> | undefined
      const scoped: Array<ScopeState> = []
      for (const scope of request.scopes) {
        const state = states.get(scope.key)
        if (state === undefined) continue
        scoped.push(state)
        // This reserve's own prune: what left its window.
        let left = 0
        while (left < state.known.length && (state.known[left]?.at ?? 0) <= request.now - scope.windowMillis) {
          const gone = state.known[left]?.insert
          if (gone !== undefined) prunedInBatch.push(gone)
          left++
        }
        if (left > 0) state.known.splice(0, left)
        const count = state.base + state.known.length
        if (count < scope.limit) continue
        const freesAt = ((yield* nthOldest(state, count - scope.limit)) ?? request.now) + scope.windowMillis
        // Both spent: the later one is when the reveal can actually happen.
        if (refusal === undefined || freesAt > refusal.freesAt) refusal = { _tag: "Refused", scope, freesAt }
      }
      if (refusal !== undefined) {
        decisions.push(refusal)
        continue
      }
      const positions = scoped.map((state) => {
        const insert = inserts.push({ scope: state.scope.key, at: request.now }) - 1
        insertSorted(state.known, { at: request.now, insert })
        return insert
      })
      decisions.push({ _tag: "Reserved", inserts: positions })
    }

    const counts = Array.from(states.values()).flatMap((state) => {
      const count = state.base + state.known.length
      return count === (state.stored ?? 0) && (state.stored !== undefined || count === 0)
        ? []
        : [{ scope: state.scope.key, count }]
    })
    return { decisions, inserts, prunedInBatch, counts }
  })
