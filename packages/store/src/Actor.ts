import { Effect, FiberRef } from "effect"
import { dual } from "effect/Function"

/**
 * Who is acting, for the audit trail: carried by the fiber that serves a request, so the ports keep
 * their signatures and an audited call reads it where it runs (forked fibers inherit it). Every field
 * is optional: a call outside any request (a test, a batch job) is recorded with nulls.
 */
export interface Actor {
  /**
   * A short, non-secret id of the API key the request came with (its name in the key registry, or a
   * hash prefix). Never the key itself: the id is stored and listed to admins as it is.
   */
  readonly apiKeyId?: string | undefined
  /** The request's id (`RequestId`), as the server logs it. */
  readonly requestId?: string | undefined
  /** The client's address as the server saw it (or as a trusted proxy forwarded it). */
  readonly clientAddress?: string | undefined
}

/** The actor of the current fiber; nobody (`{}`) by default. */
export const CurrentActor: FiberRef.FiberRef<Actor> = FiberRef.unsafeMake<Actor>({})

/** The current fiber's actor. */
export const currentActor: Effect.Effect<Actor> = FiberRef.get(CurrentActor)

/**
 * `effect` run as `actor`: what the demo wraps each request's handling in, once it knows the key
 * and the request id. `withActor(actor)(effect)` or `withActor(effect, actor)`.
 */
export const withActor: {
  (actor: Actor): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, actor: Actor): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(effect: Effect.Effect<A, E, R>, actor: Actor): Effect.Effect<A, E, R> =>
    Effect.locally(effect, CurrentActor, actor)
)
