import {
  AccountValidation,
  CardSecrets,
  type CardSecretsError,
  type GetCvvRequest,
  ProviderRejected,
  ProviderTimeout
} from "@cardkit/domain"
import { FakeIssuer, FakeProvider } from "@cardkit/fake"
import { Cause, Context, Effect, HashMap, Layer, Logger, LogLevel, Redacted } from "effect"
import { ApiKeys, DemoServer, providerLayer } from "../src/index.js"

export const apiKey = "demo-test-key-one"
export const otherApiKey = "demo-test-key-two"

export const ledgerCard = {
  cardId: "025951734ff74c13a14137e02834fa00",
  customerId: "100000000006001",
  accountNumber: "400320588344662"
} as const

export const visaCard = {
  pan: "4957030420210462",
  expiry: "2040-10",
  cvv2: "022",
  billingAddress: { street: "801 Metro Center Blv", postalCode: "94404" }
} as const

/** Card ids the test provider answers with an error the in-memory fake cannot produce. */
export const failingCards: Record<string, CardSecretsError> = {
  "provider-rejects": new ProviderRejected({ provider: "ledger", code: "E1001", message: "refused by the ledger" }),
  "provider-times-out": new ProviderTimeout({ provider: "ledger", timeoutMillis: 5000 })
}

/** The in-memory fake, except that `failingCards` fail as the fake never does by itself. */
const TestProvider = providerLayer(
  "fake",
  Layer.effectContext(
    Effect.gen(function* () {
      const fake = yield* CardSecrets
      const getCvv = (request: GetCvvRequest) => {
        const error = failingCards[request.cardId]
        return error === undefined ? fake.getCvv(request) : Effect.fail(error)
      }
      return Context.make(CardSecrets, { getCvv }).pipe(
        Context.add(AccountValidation, yield* AccountValidation),
        Context.add(FakeIssuer, yield* FakeIssuer)
      )
    })
  ).pipe(Layer.provide(FakeProvider.layer))
)

/** Card data that must never leave the server except in the CVV route's success body. */
export const cardData = [/4957030420210462/, /4003205883446621/, /(^|\D)679(\D|$)/, /(^|\D)022(\D|$)/]

/** Every line the server logs, at every level, with its annotations and cause. */
export const capturedLogs: Array<string> = []
export const CaptureLogs = Layer.merge(
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, cause, logLevel, message }) => {
      capturedLogs.push(
        [
          logLevel.label,
          JSON.stringify(message),
          JSON.stringify(Object.fromEntries(HashMap.toEntries(annotations))),
          Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
        ].join(" ")
      )
    })
  ),
  Logger.minimumLogLevel(LogLevel.All)
)

/** The demo on an ephemeral port over the fake, with `FakeIssuer` for the test to drive. */
export const TestServer = DemoServer.layerWith({ port: 0 }).pipe(
  Layer.provide(ApiKeys.layerWith([Redacted.make(apiKey), Redacted.make(otherApiKey)])),
  Layer.provideMerge(TestProvider),
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
    body: typeof body === "string" ? body : JSON.stringify(body)
  })
