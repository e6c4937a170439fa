import {
  AccountValidation,
  type AccountValidationRequest,
  CardLifecycle,
  CardSecrets,
  type CardSecretsError,
  DeviceSignedOperations,
  type GetCvvRequest,
  luhnCheckDigit,
  ProviderRejected,
  ProviderTimeout,
  RequestId
} from "@cardkit/domain"
import { FakeIssuer, FakeProvider } from "@cardkit/fake"
import { expect } from "@effect/vitest"
import { Cause, Context, Effect, HashMap, Layer, Logger, LogLevel, Redacted } from "effect"
import { StoreServices } from "@cardkit/store"
import { ApiKeys, DemoServer, providerLayer, servedOn } from "../src/index.js"

export const apiKey = "demo-test-key-one"
export const otherApiKey = "demo-test-key-two"

export const ledgerCard = {
  cardId: "025951734ff74c13a14137e02834fa00",
  customerId: "100000000006001",
  accountNumber: "400320588344662"
} as const

const visaCardPan = "4957030420210462"

export const visaCard = {
  pan: visaCardPan,
  expiry: "2040-10",
  cvv2: "022",
  billingAddress: { street: "801 Metro Center Blv", postalCode: "94404" }
} as const

/**
 * Card ids the test provider answers with an error the in-memory fake cannot produce. A `Map`: the
 * card id comes from the request path, and `constructor` must not find `Object.prototype`'s.
 */
export const failingCards: ReadonlyMap<string, CardSecretsError> = new Map<string, CardSecretsError>([
  ["provider-rejects", new ProviderRejected({ provider: "ledger", code: "E1001", message: "refused by the ledger" })],
  ["provider-times-out", new ProviderTimeout({ provider: "ledger", timeoutMillis: 5000 })]
])

/** A card id and a PAN the test provider answers with a defect, as a bug in a provider would. */
export const dyingCard = "provider-dies"
export const dyingPan = `400000000000000${luhnCheckDigit("400000000000000")}`

/** The defect's message quotes card data, which the log line must not repeat. */
export const defectMessage = `a provider bug while reading card ${visaCardPan} with CVV2 022`

/** The in-memory fake, except that `failingCards`, `dyingCard` and `dyingPan` fail as the fake never does. */
const TestProvider = providerLayer(
  "fake",
  Layer.effectContext(
    Effect.gen(function* () {
      const fake = yield* CardSecrets
      const getCvv = (request: GetCvvRequest) => {
        if (request.cardId === dyingCard) return Effect.die(new TypeError(defectMessage))
        const error = failingCards.get(request.cardId)
        return error === undefined ? fake.getCvv(request) : Effect.fail(error)
      }
      const accounts = yield* AccountValidation
      const validate = (request: AccountValidationRequest) =>
        Redacted.value(request.pan) === dyingPan ? Effect.die(new TypeError(defectMessage)) : accounts.validate(request)
      return Context.make(CardSecrets, { getCvv }).pipe(
        Context.add(AccountValidation, { validate }),
        Context.add(CardLifecycle, yield* CardLifecycle),
        Context.add(DeviceSignedOperations, yield* DeviceSignedOperations),
        Context.add(FakeIssuer, yield* FakeIssuer)
      )
    })
  ).pipe(Layer.provide(FakeProvider.layer()))
)

/** Card data that must never leave the server except in the CVV route's success body. */
export const cardData = [/4957030420210462/, /4003205883446621/, /(^|\D)679(\D|$)/, /(^|\D)022(\D|$)/]

/**
 * Every line the server logs, at every level, with its annotations and cause, except the request id:
 * a random id can hold `679` or `022` between letters and look like card data. `requestIdsLogged`
 * holds each line's request id, at the same index.
 */
export const capturedLogs: Array<string> = []
export const requestIdsLogged: Array<string | undefined> = []
export const CaptureLogs = Layer.merge(
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, cause, logLevel, message }) => {
      const { requestId, ...others } = Object.fromEntries(HashMap.toEntries(annotations))
      requestIdsLogged.push(typeof requestId === "string" ? requestId : undefined)
      capturedLogs.push(
        [
          logLevel.label,
          JSON.stringify(message),
          JSON.stringify(others),
          Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
        ].join(" ")
      )
    })
  ),
  Logger.minimumLogLevel(LogLevel.All)
)

/** The lines logged while serving the request `requestId`. */
export const logsOf = (requestId: string): ReadonlyArray<string> =>
  capturedLogs.filter((_, index) => requestIdsLogged[index] === requestId)

/** The demo on an ephemeral port over the fake, with `FakeIssuer` for the test to drive. */
export const TestServer = DemoServer.layer({ port: 0 }).pipe(
  Layer.provide(ApiKeys.layer({ keys: [Redacted.make(apiKey), Redacted.make(otherApiKey)] })),
  Layer.provideMerge(servedOn(TestProvider, StoreServices.layerMemory)),
  Layer.provide(CaptureLogs)
)

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  // biome-ignore lint/suspicious/noExplicitAny: tests read the JSON they assert on without declaring each shape
  readonly json: any
}

export const request = (url: string, init: RequestInit = {}): Effect.Effect<Answer> =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    const text = await response.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, text, json }
  })

export const post = (
  url: string,
  body: unknown,
  headers: Record<string, string> = { "x-api-key": apiKey }
): Effect.Effect<Answer> =>
  request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body)
  })

/** The answer's `x-request-id`, which every answer carries, well formed. */
export const requestIdOf = (answer: Answer): string => {
  const id = answer.headers.get(RequestId.header) ?? ""
  expect(RequestId.isWellFormed(id)).toBe(true)
  return id
}

/**
 * The answer is the API's error shape with `status` and `code` (`field` only on a 400), carries its
 * request id, and holds no card data or stack trace.
 */
export const expectError = (answer: Answer, status: number, code: string) => {
  expect(answer.status).toBe(status)
  expect(answer.json).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) })
  expect(Object.keys(answer.json.error).sort()).toEqual(
    status === 400 ? ["code", "field", "message"] : ["code", "message"]
  )
  requestIdOf(answer)
  for (const secret of cardData) expect(answer.text).not.toMatch(secret)
  expect(answer.text).not.toMatch(/\bat .*\.(ts|js):\d+/)
}
