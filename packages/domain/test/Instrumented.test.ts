import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Redacted, Schema } from "effect"
import {
  AccountValidation,
  AccountValidationRequest,
  AccountValidationResult,
  BudgetExceeded,
  Card,
  CardCvv,
  CardkitMetrics,
  CardLifecycle,
  CardNotFound,
  CardRef,
  CardSecrets,
  ChangePinRequest,
  GetCvvRequest,
  InstrumentedAccountValidation,
  InstrumentedCardLifecycle,
  InstrumentedCardSecrets,
  makeCvv,
  makePan,
  ProviderTimeout,
  ProviderUnavailable,
  Tavv,
  ValidateCvvRequest
} from "../src/index.js"

// Card data the stubs are handed and answer with: none of it may reach a span or a label.
const pan = "4957030420210462"
const cvv = "679"
const cvv2 = "022"
const pin = "918273"
const tavv = "0100000000000287A522DC5E26614C4005000000"

const account = { customerId: "100000000006001", accountNumber: "400320588344662" }
const getCvv = (cardId: string) => Schema.decodeUnknownSync(GetCvvRequest)({ cardId, ...account })
const cardRef = (cardId: string) => Schema.decodeUnknownSync(CardRef)({ cardId, ...account })

const revealed = (cardId: GetCvvRequest["cardId"]) =>
  CardCvv.fromDecoded({
    cardId,
    cvv: makeCvv(cvv),
    flags: Object.fromEntries(
      Object.keys(Schema.Struct(CardCvv.fields).fields.flags.fields).map((flag) => [flag, false])
    ) as CardCvv["flags"],
    postedDate: new Date(0) as never,
    updatedDate: new Date(0) as never,
    ack: { type: "GET_CVV_ACK", reference: "REFr1", originalReference: "r1", dateCreated: 0 }
  })

/** A provider whose answer is chosen by the card id. */
const secrets = Layer.succeed(
  CardSecrets,
  CardSecrets.of({
    getCvv: (request) => {
      switch (request.cardId) {
        case "card-ok":
          return Effect.succeed(revealed(request.cardId))
        case "card-budget":
          return Effect.fail(new BudgetExceeded({ scope: "customer", limit: 3, window: "1 hour", retryAfterMillis: 1 }))
        case "card-missing":
          return Effect.fail(new CardNotFound({ cardId: request.cardId }))
        case "card-down":
          return Effect.fail(new ProviderUnavailable({ provider: "stub", reason: "HTTP 503" }))
        default:
          return Effect.die(new Error("the stub broke"))
      }
    }
  })
)

const card = new Card({
  cardId: cardRef("card-ok").cardId,
  type: "virtual",
  status: "frozen",
  rawStatus: "TEMPRORY_BLOCKED_BY_CLIENT",
  last4: pan.slice(-4),
  expiry: "2030-01" as never
})

const lifecycle = Layer.succeed(
  CardLifecycle,
  new Proxy({} as CardLifecycle["Type"], {
    get: (_, method) => (request: { cardId?: string }) =>
      method === "changePin"
        ? Effect.void
        : request.cardId === "card-ok"
          ? Effect.succeed(card)
          : Effect.fail(new CardNotFound({ cardId: request.cardId ?? "" }))
  })
)

const validation = Layer.succeed(
  AccountValidation,
  AccountValidation.of({
    validate: (request) =>
      request.cvv2 === undefined
        ? Effect.fail(new ProviderTimeout({ provider: "stub" }))
        : Effect.succeed(
            new AccountValidationResult({
              approved: Redacted.value(request.cvv2) === cvv2,
              actionCode: Redacted.value(request.cvv2) === cvv2 ? "00" : "N7",
              cvv2: "match",
              address: "not_checked",
              transactionId: "381228649430011",
              raw: { actionCode: "00" }
            })
          )
  })
)

const instrumented = Layer.mergeAll(
  InstrumentedCardSecrets.layer.pipe(Layer.provide(secrets)),
  InstrumentedCardLifecycle.layer.pipe(Layer.provide(lifecycle)),
  InstrumentedAccountValidation.layer.pipe(Layer.provide(validation))
)

const reveal = (cardId: string) => Effect.flatMap(CardSecrets, (port) => port.getCvv(getCvv(cardId)))
const validate = (cvv2Given?: string) =>
  Effect.flatMap(AccountValidation, (port) =>
    port.validate(
      new AccountValidationRequest({
        pan: makePan(pan),
        ...(cvv2Given === undefined ? {} : { cvv2: makeCvv(cvv2Given), tavv: Schema.decodeSync(Tavv)(tavv) })
      })
    )
  )

const reveals = (outcome: string) => CardkitMetrics.countOf(CardkitMetrics.reveals, { operation: "getCvv", outcome })

/** How much each of `counts` moved while `effect` ran. */
const moved = <A, E, R>(counts: ReadonlyArray<Effect.Effect<number>>, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const before = yield* Effect.all(counts)
    yield* Effect.exit(effect)
    const after = yield* Effect.all(counts)
    return after.map((n, i) => n - before[i]!)
  })

describe("InstrumentedCardSecrets", () => {
  it.effect("counts each reveal by outcome, and a budget refusal by its scope too", () =>
    Effect.gen(function* () {
      const counts = [
        reveals("ok"),
        reveals("BudgetExceeded"),
        reveals("CardNotFound"),
        reveals("ProviderUnavailable"),
        reveals("Defect"),
        CardkitMetrics.countOf(CardkitMetrics.budgetRefusals, { scope: "customer" })
      ]
      expect(yield* moved(counts, reveal("card-ok"))).toEqual([1, 0, 0, 0, 0, 0])
      expect(yield* moved(counts, reveal("card-budget"))).toEqual([0, 1, 0, 0, 0, 1])
      expect(yield* moved(counts, reveal("card-missing"))).toEqual([0, 0, 1, 0, 0, 0])
      expect(yield* moved(counts, reveal("card-down"))).toEqual([0, 0, 0, 1, 0, 0])
      expect(yield* moved(counts, reveal("card-broken"))).toEqual([0, 0, 0, 0, 1, 0])
    }).pipe(Effect.provide(instrumented))
  )

  it.effect("traces a reveal as cardkit.getCvv with its ids and outcome, the CVV still in the answer", () =>
    Effect.gen(function* () {
      const [exit, spans] = yield* CardkitMetrics.recordingSpans(reveal("card-ok"))
      expect(Exit.isSuccess(exit) && Redacted.value(exit.value.cvv)).toBe(cvv)
      expect(spans.map((span) => span.name)).toEqual(["cardkit.getCvv"])
      expect(Object.fromEntries(spans[0]!.attributes)).toEqual({
        "cardkit.operation": "getCvv",
        "cardkit.card_id": "card-ok",
        "cardkit.customer_id": account.customerId,
        "cardkit.outcome": "ok"
      })
      const [, refused] = yield* CardkitMetrics.recordingSpans(reveal("card-budget"))
      expect(refused[0]!.attributes.get("cardkit.outcome")).toBe("BudgetExceeded")
    }).pipe(Effect.provide(instrumented))
  )
})

describe("without a tracer", () => {
  it.effect("no span is started under Effect's native tracer, and the counters still move", () =>
    Effect.gen(function* () {
      const spanSeen = Effect.flatMap(InstrumentedAccountValidation.make, (port) =>
        port.validate(new AccountValidationRequest({ pan: makePan(pan) }))
      )
      const inner = AccountValidation.of({
        validate: () =>
          Effect.flatMap(Effect.option(Effect.currentSpan), (span) =>
            Effect.fail(new ProviderTimeout({ provider: span._tag === "Some" ? span.value.name : "none" }))
          )
      })
      const timeouts = CardkitMetrics.countOf(CardkitMetrics.accountValidations, { outcome: "ProviderTimeout" })
      const before = yield* timeouts
      const untraced = yield* Effect.flip(Effect.provideService(spanSeen, AccountValidation, inner))
      expect(untraced).toMatchObject({ provider: "none" })
      const [traced] = yield* CardkitMetrics.recordingSpans(Effect.provideService(spanSeen, AccountValidation, inner))
      expect(Exit.isFailure(traced) && Cause.squash(traced.cause)).toMatchObject({ provider: "cardkit.validate" })
      expect((yield* timeouts) - before).toBe(2)
    })
  )
})

describe("InstrumentedCardLifecycle", () => {
  it.effect("counts writes and CVV checks by operation and outcome, and only traces reads", () =>
    Effect.gen(function* () {
      const port = yield* CardLifecycle
      const ref = cardRef("card-ok")
      const writes = (operation: string, outcome: string) =>
        CardkitMetrics.countOf(CardkitMetrics.lifecycleWrites, { operation, outcome })
      const counts = [writes("lock", "ok"), writes("lock", "CardNotFound"), writes("getCard", "ok")]
      expect(yield* moved(counts, port.lock(ref))).toEqual([1, 0, 0])
      expect(yield* moved(counts, port.lock(cardRef("card-gone")))).toEqual([0, 1, 0])
      const [, spans] = yield* CardkitMetrics.recordingSpans(port.getCard(ref))
      expect(yield* writes("getCard", "ok")).toBe(0)
      expect(spans.map((span) => [span.name, span.attributes.get("cardkit.outcome")])).toEqual([
        ["cardkit.getCard", "ok"]
      ])
    }).pipe(Effect.provide(instrumented))
  )
})

describe("InstrumentedAccountValidation", () => {
  it.effect("counts approved, declined and each failure by its tag", () =>
    Effect.gen(function* () {
      const validations = (outcome: string) => CardkitMetrics.countOf(CardkitMetrics.accountValidations, { outcome })
      const counts = [validations("approved"), validations("declined"), validations("ProviderTimeout")]
      expect(yield* moved(counts, validate(cvv2))).toEqual([1, 0, 0])
      expect(yield* moved(counts, validate("999"))).toEqual([0, 1, 0])
      expect(yield* moved(counts, validate())).toEqual([0, 0, 1])
      const [, spans] = yield* CardkitMetrics.recordingSpans(validate("999"))
      expect(Object.fromEntries(spans[0]!.attributes)).toEqual({
        "cardkit.operation": "validate",
        "cardkit.outcome": "declined"
      })
    }).pipe(Effect.provide(instrumented))
  )
})

describe("no card data in telemetry", () => {
  it.effect("no span name, attribute, event, rendered failure or metric label holds the card data used", () =>
    Effect.gen(function* () {
      const port = yield* CardLifecycle
      const ref = { cardId: "card-ok", ...account }
      const flows = Effect.all(
        (
          [
            reveal("card-ok"),
            reveal("card-budget"),
            reveal("card-missing"),
            reveal("card-down"),
            reveal("card-broken"),
            validate(cvv2),
            validate("999"),
            validate(),
            port.changePin(Schema.decodeUnknownSync(ChangePinRequest)({ ...ref, pin })),
            port.validateCvv(Schema.decodeUnknownSync(ValidateCvvRequest)({ ...ref, cvv })),
            port.lock(cardRef("card-gone"))
          ] as ReadonlyArray<Effect.Effect<unknown, unknown, CardSecrets | AccountValidation>>
        ).map((flow) => Effect.exit(flow))
      )
      const [, spans] = yield* CardkitMetrics.recordingSpans(flows)
      expect(spans.length).toBe(11)
      const strings = yield* CardkitMetrics.telemetryStrings(spans)
      const leaked = strings.filter((s) => [pan, cvv2, pin, tavv].some((secret) => s.includes(secret)))
      expect(leaked).toEqual([])
      // The CVV is three digits, which an id may hold by chance: it must not be a value on its own.
      expect(strings).not.toContain(cvv)
    }).pipe(Effect.provide(instrumented))
  )
})
