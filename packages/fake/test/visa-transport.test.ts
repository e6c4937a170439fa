import {
  AccountValidation,
  AccountValidationRequest,
  BillingAddress,
  CardExpiry,
  makeCvv,
  makePan,
  Tavv
} from "@cardkit/domain"
import {
  type CardValidationRequestJson,
  VisaAccountValidation,
  type VisaAccountValidationOptions
} from "@cardkit/visa-pav"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import { accountValidationConformance } from "../src/conformance.js"
import { FakeIssuer } from "../src/FakeIssuer.js"
import type { FaultTag } from "../src/Faults.js"
import { FakeVisaServer } from "../src/VisaServer.js"
import { WireServer } from "../src/WireServer.js"
import { makeTestPki, type TestPki } from "../src/testing.js"
import { examples } from "./support/visaSpec.js"
import { UndiciHttpClient } from "@cardkit/http"
import { HttpClient } from "@effect/platform"

/*
 * The Visa transport against the fake Visa over the wire, as production runs it: two-way TLS with
 * a client certificate, HTTP Basic and Message Level Encryption. Certificates are made at test
 * time; the TLS pair doubles as the MLE keys (Visa hands out its MLE key as a certificate too).
 */

const credentials = { userId: "pav-user", password: "pav-password" }
const mleKeyId = "mle-key-1"
const successful = examples["Account Validation Successful"].value

const serverLayer = (pki: TestPki) =>
  FakeVisaServer.layer({
    credentials,
    tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.serverCert, requireClientCertificate: true },
    mle: { keyId: mleKeyId, serverPrivateKey: Redacted.make(pki.serverKey), clientPublicKey: pki.clientCert }
  })

const clientOptions = (pki: TestPki, url: string): VisaAccountValidationOptions => ({
  url,
  userId: Redacted.make(credentials.userId),
  password: Redacted.make(credentials.password),
  mle: { keyId: mleKeyId, serverPublicKey: pki.serverCert, clientPrivateKey: Redacted.make(pki.clientKey) },
  acquiringBin: successful.acquiringBin,
  acquirerCountryCode: successful.acquirerCountryCode,
  cardAcceptor: successful.cardAcceptor!,
  retries: 2
})

/** The HTTP client as production configures it for Visa: the client certificate in every handshake. */
const httpOptions = (pki: TestPki): UndiciHttpClient.LayerOptions => ({
  timeout: "3 seconds",
  tls: { cert: pki.clientCert, key: Redacted.make(pki.clientKey), ca: pki.serverCert }
})

/** AccountValidation over TLS + MLE to a fake Visa, with that fake's issuer. */
const overTheWire = (
  overrides: Partial<VisaAccountValidationOptions> = {},
  http: Partial<UndiciHttpClient.LayerOptions> = {}
) =>
  Layer.unwrapEffect(
    Effect.map(Effect.promise(makeTestPki), (pki) => {
      const client = Layer.unwrapEffect(
        Effect.map(WireServer, ({ url }) =>
          VisaAccountValidation.layer({ ...clientOptions(pki, url), ...overrides }).pipe(
            Layer.provide(UndiciHttpClient.layer({ ...httpOptions(pki), ...http }))
          )
        )
      )
      return Layer.provideMerge(Layer.provide(client, serverLayer(pki)), FakeIssuer.layer())
    })
  )

/** The spec's example as the domain request that carries the same data. */
const domainRequest = (example: CardValidationRequestJson) =>
  new AccountValidationRequest({
    pan: makePan(example.primaryAccountNumber),
    expiry: CardExpiry.make(example.cardExpiryDate!),
    ...(example.cardCvv2Value === undefined ? {} : { cvv2: makeCvv(example.cardCvv2Value) }),
    ...(example.tavv === undefined ? {} : { tavv: Schema.decodeSync(Tavv)(example.tavv) }),
    billingAddress: new BillingAddress(example.addressVerificationResults!)
  })

const scripted = (failures: ReadonlyArray<FaultTag>, extra: { latencyMillis?: number } = {}) =>
  Effect.flatMap(FakeIssuer, (issuer) => issuer.injectFaults("validateAccount", { failures, ...extra }))
/** Whether an injected fault is still queued, i.e. no request reached the fake to consume it (consumes it). */
const faultsLeft = Effect.flatMap(FakeIssuer, (issuer) =>
  Effect.map(issuer.nextFault("validateAccount"), Option.isSome)
)
const validateExample = Effect.flatMap(AccountValidation, (v) => v.validate(domainRequest(successful)))

layer(overTheWire(), { excludeTestServices: true })(
  "VisaAccountValidation → FakeVisaServer over two-way TLS with MLE",
  (it) => {
    it.effect("gives the spec's three examples the results Visa's sandbox gives", () =>
      Effect.gen(function* () {
        const validation = yield* AccountValidation
        const approved = yield* validation.validate(domainRequest(successful))
        expect(approved).toMatchObject({ approved: true, cvv2: "match", address: "match" })
        expect(["00", "85"]).toContain(approved.actionCode)
        expect(approved.raw).toMatchObject({ cvv2ResultCode: "M", addressVerificationResults: "Y", responseCode: "5" })
        expect(approved.transactionId).toMatch(/^\d{15}$/)

        const expired = yield* validation.validate(domainRequest(examples["Account Validation Unsuccessful"].value))
        expect(expired).toMatchObject({ approved: false, actionCode: "54" })

        const token = yield* validation.validate(
          domainRequest(examples["Account validation using Token Successful"].value)
        )
        expect(token).toMatchObject({ approved: true, tavv: "valid", cvv2: "not_checked" })
      })
    )

    it.effect("retries 503s up to its bound: two are absorbed, a third is reported", () =>
      Effect.gen(function* () {
        yield* scripted(["Unavailable", "Unavailable"])
        expect((yield* validateExample).approved).toBe(true)
        expect(yield* faultsLeft).toBe(false)

        yield* scripted(["Unavailable", "Unavailable", "Unavailable", "Unavailable"])
        const error = yield* Effect.flip(validateExample)
        expect(error).toMatchObject({ _tag: "ProviderUnavailable", provider: "visa" })
        // 1 attempt + 2 retries consumed three faults; the fourth is still queued.
        expect(yield* faultsLeft).toBe(true)
        expect(yield* faultsLeft).toBe(false)
      })
    )

    it.effect("does not retry a reset, an HTML page or cut JSON: each may have reached Visa", () =>
      Effect.gen(function* () {
        for (const fault of ["Reset", "Garbage", "Truncated"] as const) {
          yield* scripted([fault, "Unavailable"])
          const error = yield* Effect.flip(validateExample)
          expect(error._tag, fault).toBe("ProviderUnavailable")
          expect(JSON.stringify(error)).not.toContain("4957030420210462")
          expect(yield* faultsLeft, `${fault} was not retried`).toBe(true)
        }
        expect((yield* validateExample).approved).toBe(true)
      })
    )
  }
)

describe("VisaAccountValidation → FakeVisaServer, refusals and timeouts", () => {
  it.live("reports a provider slower than the timeout as ProviderTimeout", () =>
    Effect.gen(function* () {
      yield* scripted(["Latency"], { latencyMillis: 3_000 })
      const error = yield* Effect.flip(validateExample)
      expect(error).toMatchObject({ _tag: "ProviderTimeout", provider: "visa", timeoutMillis: 1_000 })
    }).pipe(Effect.provide(overTheWire({}, { timeout: "1 second" })))
  )

  it.live("is refused without a client certificate", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(makeTestPki)
      const error = yield* Effect.gen(function* () {
        const { url } = yield* WireServer
        const withoutCertificate = yield* UndiciHttpClient.makeAgent({ tls: { ca: pki.serverCert } })
        const validation = yield* VisaAccountValidation.make(clientOptions(pki, url)).pipe(
          Effect.provideService(HttpClient.HttpClient, withoutCertificate)
        )
        yield* scripted(["Unavailable"])
        const error = yield* Effect.flip(validation.validate(domainRequest(successful)))
        expect(yield* faultsLeft, "the request never reached the fake").toBe(true)
        return error
      }).pipe(Effect.provide(Layer.provideMerge(serverLayer(pki), FakeIssuer.layer())), Effect.scoped)
      // TLS 1.3 reports the refusal after the handshake, as a closed connection.
      expect(["AuthenticationFailed", "ProviderUnavailable"]).toContain(error._tag)
      expect(JSON.stringify(error)).not.toContain(successful.primaryAccountNumber)
    })
  )

  it.live("is refused with wrong Basic credentials", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(validateOnce({ password: Redacted.make("guess") }))
      expect(error).toMatchObject({ _tag: "AuthenticationFailed", provider: "visa" })
    })
  )
})

const validateOnce = (overrides: Partial<VisaAccountValidationOptions>) =>
  Effect.flatMap(AccountValidation, (v) => v.validate(domainRequest(successful))).pipe(
    Effect.provide(overTheWire(overrides))
  )

accountValidationConformance("Visa PAV transport → fake Visa over two-way TLS with MLE", overTheWire())
