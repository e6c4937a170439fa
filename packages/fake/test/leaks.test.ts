import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { AccountValidation, AccountValidationRequest, CardSecrets, decodeInput, GetCvvRequest } from "@cardkit/domain"
import { LedgerCardSecrets, LedgerClient } from "@cardkit/ledger"
import { VisaAccountValidation } from "@cardkit/visa-pav"
import { expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, HashMap, Layer, Logger, LogLevel, Redacted } from "effect"
import { request } from "undici"
import {
  FakeIssuer,
  FakeWireServers,
  makeDevLedgerClient,
  makeLedgerRsaKeys,
  registerCardholderDevice,
  WireServer
} from "../src/index.js"
import { UndiciHttpClient } from "@cardkit/http"

/*
 * Card data never leaks: both transports against both wire fakes, logging at every level, through
 * successes, declines, refusals, bad input and injected faults. Every log line (message,
 * annotations, cause), every error (message, String, JSON) and every HTTP error body is captured,
 * and none may carry a full PAN, a CVV, a CVV2 or a PIN.
 */
const pin = "8642"
const secrets = [/4957030420210462/, /4003205883446621/, /(^|\D)679(\D|$)/, /(^|\D)022(\D|$)/, /(^|\D)8642(\D|$)/]

const captured: Array<string> = []
const capture = Layer.merge(
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ message, annotations, cause }) => {
      captured.push(
        `${JSON.stringify(message)} ${JSON.stringify(Object.fromEntries(HashMap.toEntries(annotations)))} ${
          Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
        }`
      )
    })
  ),
  Logger.minimumLogLevel(LogLevel.All)
)

const dev = makeDevLedgerClient()
const rsa = makeLedgerRsaKeys()
const visaCredentials = { userId: "leak-user", password: "leak-password" }

const server = FakeWireServers.layer({
  ledger: { clients: [dev.registration], rsaPrivateKey: rsa.privateKeyPem },
  visa: { credentials: visaCredentials }
})

const clients = Layer.unwrapEffect(
  Effect.map(WireServer, ({ url }) =>
    Layer.merge(
      LedgerCardSecrets.layer({
        ...dev.clientOptions(url),
        rsaPublicKey: rsa.publicKeyPem,
        retryBaseDelay: "1 millis"
      }),
      VisaAccountValidation.layer({
        url,
        userId: Redacted.make(visaCredentials.userId),
        password: Redacted.make(visaCredentials.password),
        acquiringBin: "408999",
        acquirerCountryCode: "840"
      })
    ).pipe(Layer.provide(UndiciHttpClient.layer()))
  )
)

const world = clients.pipe(
  Layer.provideMerge(server.pipe(Layer.orDie)),
  Layer.provideMerge(FakeIssuer.layer()),
  Layer.provide(capture)
)

const ledgerRequest = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve("@cardkit/ledger/fixtures/get-cvv.request.json"), "utf8")
)

it.live("no log line, error or error body carries a PAN, a CVV or a CVV2", () =>
  Effect.gen(function* () {
    const cardSecrets = yield* CardSecrets
    const validation = yield* AccountValidation
    const issuer = yield* FakeIssuer
    const { url } = yield* WireServer
    const seen: Array<string> = []
    const record = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.map(Effect.exit(effect), (exit) => {
        if (Exit.isFailure(exit)) {
          const error = Cause.squash(exit.cause)
          seen.push(String(error), JSON.stringify(error), (error as Error).message ?? "", Cause.pretty(exit.cause))
        }
        return exit
      })
    const cvv = (fields: Record<string, string>) =>
      Effect.flatMap(decodeInput(GetCvvRequest)(fields), cardSecrets.getCvv)
    const validate = (fields: Record<string, unknown>) =>
      Effect.flatMap(decodeInput(AccountValidationRequest)(fields), validation.validate)
    const documentCard = {
      cardId: "025951734ff74c13a14137e02834fa00",
      customerId: "100000000006001",
      accountNumber: "400320588344662"
    }

    const revealed = yield* record(cvv(documentCard))
    expect(Exit.isSuccess(revealed) && Redacted.value(revealed.value.cvv)).toBe("679")
    yield* record(cvv({ ...documentCard, customerId: "999" }))
    yield* record(cvv({ ...documentCard, cardId: "nope" }))
    yield* issuer.injectFaults("getCvv", { failures: ["Garbage", "Truncated", "Unavailable"] })
    yield* record(cvv(documentCard))
    yield* issuer.setStatus(documentCard.cardId, "LOST_STOLEN")
    yield* record(cvv(documentCard))
    yield* issuer.setStatus(documentCard.cardId, "ACTIVATED")

    // A PIN set, refused and set again, and an activation with the wrong CVV: neither PIN nor CVV may show.
    const ledger = yield* LedgerClient
    const device = yield* registerCardholderDevice(documentCard.customerId, { rsaPublicKey: rsa.publicKeyPem })
    const physical = yield* issuer.issueCard({
      ...documentCard,
      cardId: "0000000000000000000000000000c0de",
      cardType: "PHYSICAL",
      status: "CARD_IS_NOT_ACTIVATED",
      cvv: "679"
    })
    const where = { product: "DEFAULT", program: "DEFAULT", channel: "VISA_DPS" as const, ...documentCard }
    const onPhysical = { ...where, cardId: physical.cardId }
    const newPIN = Redacted.make(pin)
    expect(Exit.isSuccess(yield* record(device.send(ledger, "pinChange", { ...onPhysical, newPIN })))).toBe(true)
    yield* record(device.send(ledger, "pinChange", { ...where, newPIN }))
    yield* record(ledger.pinChange.call({ ...onPhysical, newPIN: Redacted.make(`${pin}x`) }))
    yield* record(ledger.pinChange.call({ ...onPhysical, cardId: "nope", newPIN }))
    yield* record(
      device.send(ledger, "updateStatus", { ...onPhysical, statusAction: "ACTIVATE", cardCvv: Redacted.make("678") })
    )
    yield* record(ledger.updateStatus.call({ ...onPhysical, statusAction: "ACTIVATE", cardCvv: Redacted.make("679") }))
    expect(yield* issuer.pinMatches(physical.cardId, pin)).toBe(true)
    seen.push(JSON.stringify(yield* issuer.getCard(physical.cardId)))

    const visaCard = { pan: "4957030420210462", expiry: "2040-10", cvv2: "022" }
    const approved = yield* record(validate(visaCard))
    expect(Exit.isSuccess(approved) && approved.value.approved).toBe(true)
    yield* record(validate({ ...visaCard, cvv2: "023" }))
    yield* record(validate({ ...visaCard, expiry: "2020-10" }))
    yield* record(validate({ ...visaCard, pan: "4957030420210463" }))
    yield* record(validate({ ...visaCard, billingAddress: { postalCode: "x".repeat(40) } }))
    yield* issuer.injectFaults("validateAccount", { failures: ["Garbage"] })
    yield* record(validate(visaCard))

    // Straight at the wire fakes: malformed requests that carry card data must be refused without it.
    for (const [path, body] of [
      [
        "/pav/v1/cardvalidation",
        { primaryAccountNumber: "4957030420210462", cardCvv2Value: "022", cardExpiryDate: "20401" }
      ],
      ["/pav/v1/cardvalidation", { primaryAccountNumber: "4957030420210462", cardCvv2Value: "0222x", acquiringBin: 1 }],
      ["/cardv2", { ...ledgerRequest, params: { ...ledgerRequest.params, payload: { cvv: "679", cardId: 7 } } }]
    ] as const) {
      const answer = yield* Effect.promise(() =>
        request(`${url}${path}`, {
          method: "POST",
          body: JSON.stringify(body),
          headers: {
            "content-type": "application/json",
            authorization: `Basic ${Buffer.from(`${visaCredentials.userId}:${visaCredentials.password}`).toString("base64")}`
          }
        }).then((response) => response.body.text())
      )
      seen.push(answer)
    }

    // The capture is live at Debug level (the servers' fibers log through the same logger).
    yield* Effect.logDebug("leak-check probe")
    expect(captured.some((line) => line.includes("leak-check probe"))).toBe(true)
    expect(seen.length).toBeGreaterThan(10)
    for (const text of [...seen, ...captured]) {
      for (const secret of secrets) expect(text).not.toMatch(secret)
    }
  }).pipe(Effect.provide(world))
)
