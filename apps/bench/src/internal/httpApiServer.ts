import { createServer } from "node:http"
import { CardFlags, CardId, CardSecrets, CvvDigits, GetCvvRequest } from "@cardkit/domain"
import { FakeProvider } from "@cardkit/fake"
import {
  HttpApi,
  HttpApiBuilder,
  HttpApiEndpoint,
  HttpApiError,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSecurity,
  HttpApp,
  HttpServer,
  HttpServerResponse
} from "@effect/platform"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer, Logger, LogLevel, Redacted, Schema } from "effect"

/*
 * The framework peer for the demo's CVV route: the same route on the same fake, written as a minimal
 * HttpApi app is written from the platform's documentation — schemas for the path, payload and
 * answer, an API-key security middleware, `HttpApiBuilder.serve()` on `NodeHttpServer` — with none
 * of the demo's fast paths. The ratio against it is what cardkit's demo adds on top of the framework.
 */

class ApiKey extends HttpApiMiddleware.Tag<ApiKey>()("ApiKey", {
  failure: HttpApiError.Unauthorized,
  security: { apiKey: HttpApiSecurity.apiKey({ key: "x-api-key", in: "header" }) }
}) {}

/** The demo's answer: the card id, the CVV in clear, the card's flags and the provider's reference. */
const RevealedCvv = Schema.Struct({ cardId: CardId, cvv: CvvDigits, card: CardFlags, reference: Schema.String })

class Api extends HttpApi.make("bench").add(
  HttpApiGroup.make("cards")
    .add(
      HttpApiEndpoint.post("revealCvv", "/v1/cards/:cardId/cvv")
        .setPath(Schema.Struct({ cardId: CardId }))
        .setPayload(
          Schema.Struct({
            customerId: GetCvvRequest.fields.customerId,
            accountNumber: GetCvvRequest.fields.accountNumber
          })
        )
        .addSuccess(RevealedCvv)
        .addError(HttpApiError.BadRequest)
        .addError(HttpApiError.NotFound)
    )
    .middleware(ApiKey)
) {}

const ApiKeyLive = Layer.succeed(
  ApiKey,
  ApiKey.of({
    apiKey: (key) => (Redacted.value(key) === "bench-key" ? Effect.void : Effect.fail(new HttpApiError.Unauthorized()))
  })
)

// The demo sends its CVV answer with `Cache-Control: no-store`, and so does this peer.
const noStore = HttpApp.appendPreResponseHandler((_, response) =>
  Effect.succeed(HttpServerResponse.setHeader(response, "cache-control", "no-store"))
)

const CardsLive = HttpApiBuilder.group(Api, "cards", (handlers) =>
  Effect.map(CardSecrets, (secrets) =>
    handlers.handle("revealCvv", ({ path, payload }) =>
      secrets.getCvv(new GetCvvRequest({ cardId: path.cardId, ...payload })).pipe(
        Effect.tap(noStore),
        Effect.map((card) => ({
          cardId: card.cardId,
          cvv: Redacted.value(card.cvv),
          card: card.flags,
          reference: card.ack.reference
        })),
        Effect.mapError((error) =>
          error._tag === "CardNotFound" ? new HttpApiError.NotFound() : new HttpApiError.BadRequest()
        )
      )
    )
  )
)

const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide(CardsLive),
  Layer.provide(ApiKeyLive),
  Layer.provide(FakeProvider.layer())
)

const ServerLive = HttpApiBuilder.serve().pipe(
  Layer.provide(ApiLive),
  Layer.merge(
    Layer.effectDiscard(
      HttpServer.addressWith((address) =>
        Effect.sync(() => process.send?.({ port: address._tag === "TcpAddress" ? address.port : 0 }))
      )
    )
  ),
  Layer.provide(NodeHttpServer.layer(createServer, { host: "127.0.0.1", port: 0 })),
  Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
)

Layer.launch(ServerLive).pipe(Effect.runFork)
process.on("disconnect", () => process.exit(0))
