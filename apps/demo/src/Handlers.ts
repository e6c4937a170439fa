import {
  AccountValidation,
  ActivateCardRequest,
  Card,
  type CardId,
  CardLifecycle,
  type CardLifecycleError,
  CardRef,
  CardSecrets,
  ChangePinRequest,
  CustomerAccount,
  Health,
  IssueCardRequest,
  maskPan,
  type Reference,
  ReplaceCardRequest,
  ReplacedCard,
  SetLimitRequest,
  ValidateCvvRequest
} from "@cardkit/domain"
import { AuditQuery, AuditTrail, IdempotencyStore, StoreHealth } from "@cardkit/store"
import { HttpApiBuilder } from "@effect/platform"
import { Effect, Layer, Schema } from "effect"
import { answerOrFail, fromDomainError } from "./ApiErrors.js"
import {
  ActivateCardBody,
  Caller,
  CardBody,
  CardLimits,
  ChangePinBody,
  CvvValid,
  DemoApi,
  IssueCardBody,
  NotReady,
  ReplaceCardBody,
  SetLimitBody,
  ValidateCvvBody
} from "./DemoApi.js"
import { idempotent } from "./internal/idempotent.js"
import { logOutcome } from "./internal/logOutcome.js"
import { revealedAnswer, revealRequest } from "./internal/reveal.js"
import { ProviderInfo } from "./Provider.js"
import { SignedLive } from "./SignedHandlers.js"
import { TelemetryLive } from "./TelemetryHandlers.js"

/**
 * Liveness runs no check, so a slow provider cannot get the process restarted; it only reads the
 * credentials' dates (`degraded` for one outside its validity too: the process still serves).
 * Readiness runs the store's check and the provider's, at once, each bounded by the health timeout.
 */
export const HealthLive = HttpApiBuilder.group(DemoApi, "health", (handlers) =>
  Effect.gen(function* () {
    const { name } = yield* ProviderInfo
    const settings = yield* Health.HealthSettings
    const health = Health.combine(yield* StoreHealth, yield* Health.HealthChecks)
    return handlers
      .handle("health", () =>
        Effect.map(Health.credentials(health, settings), (credentials) => ({
          status: Health.worst(credentials.map((c) => c.status)) === "ok" ? ("ok" as const) : ("degraded" as const),
          provider: name,
          ...(credentials.length === 0 ? {} : { credentials })
        }))
      )
      .handle("ready", () =>
        Effect.flatMap(Health.report(health, settings), (report) => {
          if (report.status === "failing") {
            const failing = [...report.checks, ...report.credentials].filter((item) => item.status === "failing")
            return Effect.zipRight(
              Effect.logWarning(`not ready: ${failing.map((item) => item.name).join(", ")} failing`),
              Effect.fail(new NotReady(report))
            )
          }
          return Effect.succeed({ ...report, status: report.status })
        })
      )
  })
)

export const CardsLive = HttpApiBuilder.group(DemoApi, "cards", (handlers) =>
  Effect.map(CardSecrets, (secrets) =>
    handlers.handle("revealCvv", ({ path, payload }) =>
      secrets.getCvv(revealRequest(path.cardId, payload)).pipe(
        logOutcome(`reveal-cvv card=${path.cardId}`),
        Effect.map(revealedAnswer),
        Effect.catchAll((error) => answerOrFail(error))
      )
    )
  )
)

export const AuditLive = HttpApiBuilder.group(DemoApi, "audit", (handlers) =>
  Effect.map(AuditTrail, (trail) =>
    handlers.handle("listAudit", ({ urlParams }) =>
      trail
        .list(new AuditQuery(urlParams, { disableValidation: true }))
        .pipe(Effect.mapError((error) => fromDomainError(error)))
    )
  )
)

export const AccountsLive = HttpApiBuilder.group(DemoApi, "accounts", (handlers) =>
  Effect.map(AccountValidation, (accounts) =>
    handlers.handle("validateAccount", ({ payload }) =>
      accounts.validate(payload).pipe(
        Effect.tapBoth({
          onFailure: (error) => Effect.logInfo(`account-validation pan=${maskPan(payload.pan)} ${error._tag}`),
          onSuccess: (result) =>
            Effect.logInfo(
              `account-validation pan=${maskPan(payload.pan)} approved=${result.approved} actionCode=${result.actionCode}`
            )
        }),
        Effect.mapError((error) => fromDomainError(error))
      )
    )
  )
)

/** A lifecycle call's Info line (`logOutcome`), its error answered as the domain error's. */
const logged =
  (operation: string, subject: string) =>
  <A, R>(effect: Effect.Effect<A, CardLifecycleError, R>) =>
    effect.pipe(
      logOutcome(`${operation} ${subject}`),
      Effect.mapError((error) => fromDomainError(error))
    )

/** The body's `reference` if it sent one, else the one derived from its `Idempotency-Key`. */
const withReference = <B extends { readonly reference?: Reference | undefined }>(
  body: B,
  derived: Reference | undefined
) => (body.reference === undefined && derived !== undefined ? { ...body, reference: derived } : body)

const cardRequest = Schema.Struct({ cardId: Schema.String, body: Schema.Unknown })

/** What a write is compared by: its card id (when the path has one) and its body, as JSON. */
const requestOf = <A, I>(schema: Schema.Schema<A, I>, body: A, cardId?: CardId) =>
  cardRequest.make({ cardId: cardId ?? "", body: Schema.encodeSync(schema)(body) })

export const LifecycleLive = HttpApiBuilder.group(DemoApi, "lifecycle", (handlers) =>
  Effect.map(Effect.all([CardLifecycle, IdempotencyStore]), ([cards, store]) => {
    /** A transition of the card in the path (lock, unlock, report-lost, close), idempotent. */
    const transition =
      (route: string, call: (card: CardRef) => Effect.Effect<Card, CardLifecycleError>) =>
      ({
        headers,
        path,
        payload
      }: {
        readonly headers: { readonly "idempotency-key"?: string | undefined }
        readonly path: { readonly cardId: CardId }
        readonly payload: typeof CardBody.Type
      }) =>
        Effect.flatMap(Caller, (caller) =>
          idempotent(
            store,
            {
              route,
              caller: caller.id,
              idempotencyKey: headers["idempotency-key"],
              request: requestOf(CardBody, payload, path.cardId),
              success: Card,
              status: 200
            },
            (reference) =>
              call(new CardRef({ cardId: path.cardId, ...withReference(payload, reference) })).pipe(
                logged(route, `card=${path.cardId}`)
              )
          )
        )

    return handlers
      .handle("getCard", ({ path, urlParams }) =>
        cards
          .getCard(new CardRef({ cardId: path.cardId, ...urlParams }))
          .pipe(logged("get-card", `card=${path.cardId}`))
      )
      .handle("listCards", ({ path, urlParams }) =>
        cards.listCards(new CustomerAccount({ customerId: path.customerId, ...urlParams })).pipe(
          Effect.map((list) => ({ cards: list })),
          logged("list-cards", `customer=${path.customerId}`)
        )
      )
      .handle("issueCard", ({ headers, payload }) =>
        Effect.flatMap(Caller, (caller) =>
          idempotent(
            store,
            {
              route: "issue-card",
              caller: caller.id,
              idempotencyKey: headers["idempotency-key"],
              request: requestOf(IssueCardBody, payload),
              success: Card,
              status: 201
            },
            (reference) =>
              cards
                .issueCard(new IssueCardRequest(withReference(payload, reference)))
                .pipe(logged("issue-card", `customer=${payload.customerId} type=${payload.type}`))
          )
        )
      )
      .handle("activateCard", ({ headers, path, payload }) =>
        Effect.flatMap(Caller, (caller) =>
          idempotent(
            store,
            {
              route: "activate-card",
              caller: caller.id,
              idempotencyKey: headers["idempotency-key"],
              request: requestOf(ActivateCardBody, payload, path.cardId),
              success: Card,
              status: 200
            },
            (reference) =>
              cards
                .activate(new ActivateCardRequest({ cardId: path.cardId, ...withReference(payload, reference) }))
                .pipe(logged("activate-card", `card=${path.cardId}`))
          )
        )
      )
      .handle("lockCard", transition("lock-card", cards.lock))
      .handle("unlockCard", transition("unlock-card", cards.unlock))
      .handle("reportLost", transition("report-lost", cards.reportLostStolen))
      .handle("closeCard", transition("close-card", cards.close))
      .handle("replaceCard", ({ headers, path, payload }) =>
        Effect.flatMap(Caller, (caller) =>
          idempotent(
            store,
            {
              route: "replace-card",
              caller: caller.id,
              idempotencyKey: headers["idempotency-key"],
              request: requestOf(ReplaceCardBody, payload, path.cardId),
              success: ReplacedCard,
              status: 200
            },
            (reference) =>
              cards
                .replace(new ReplaceCardRequest({ cardId: path.cardId, ...withReference(payload, reference) }))
                .pipe(logged("replace-card", `card=${path.cardId} reason=${payload.reason}`))
          )
        )
      )
      .handle("changePin", ({ headers, path, payload }) =>
        Effect.flatMap(Caller, (caller) =>
          idempotent(
            store,
            {
              route: "change-pin",
              caller: caller.id,
              idempotencyKey: headers["idempotency-key"],
              request: requestOf(ChangePinBody, payload, path.cardId),
              success: undefined,
              status: 204
            },
            (reference) =>
              cards
                .changePin(new ChangePinRequest({ cardId: path.cardId, ...withReference(payload, reference) }))
                .pipe(logged("change-pin", `card=${path.cardId}`))
          )
        )
      )
      .handle("getLimits", ({ path, urlParams }) =>
        cards.getLimits(new CardRef({ cardId: path.cardId, ...urlParams })).pipe(
          Effect.map((limits) => ({ cardId: path.cardId, limits })),
          logged("get-limits", `card=${path.cardId}`)
        )
      )
      .handle("setLimit", ({ headers, path, payload }) =>
        Effect.flatMap(Caller, (caller) =>
          idempotent(
            store,
            {
              route: "set-limit",
              caller: caller.id,
              idempotencyKey: headers["idempotency-key"],
              request: requestOf(SetLimitBody, payload, path.cardId),
              success: CardLimits,
              status: 200
            },
            (reference) =>
              cards.setLimit(new SetLimitRequest({ cardId: path.cardId, ...withReference(payload, reference) })).pipe(
                Effect.map((limits) => ({ cardId: path.cardId, limits })),
                logged("set-limit", `card=${path.cardId} ${payload.kind}/${payload.cycle}`)
              )
          )
        )
      )
      .handle("validateCvv", ({ headers, path, payload }) =>
        Effect.flatMap(Caller, (caller) =>
          idempotent(
            store,
            {
              route: "validate-cvv",
              caller: caller.id,
              idempotencyKey: headers["idempotency-key"],
              request: requestOf(ValidateCvvBody, payload, path.cardId),
              success: CvvValid,
              status: 200
            },
            (reference) =>
              cards
                .validateCvv(new ValidateCvvRequest({ cardId: path.cardId, ...withReference(payload, reference) }))
                .pipe(
                  Effect.as({ cardId: path.cardId, valid: true as const }),
                  logged("validate-cvv", `card=${path.cardId}`)
                )
          )
        )
      )
  })
)

export const HandlersLive = Layer.mergeAll(
  HealthLive,
  CardsLive,
  LifecycleLive,
  AccountsLive,
  SignedLive,
  AuditLive,
  TelemetryLive
)
