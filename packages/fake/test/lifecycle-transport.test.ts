import { UndiciHttpClient } from "@cardkit/http"
import { LedgerCardLifecycle, LedgerClient } from "@cardkit/ledger"
import { Effect, Layer } from "effect"
import { cardLifecycleConformance } from "../src/conformance.js"
import {
  cardholderDeviceChannel,
  FakeIssuer,
  FakeLedgerServer,
  makeDevLedgerClient,
  makeLedgerRsaKeys,
  WireServer
} from "../src/index.js"

const dev = makeDevLedgerClient()
const rsa = makeLedgerRsaKeys()

/**
 * `LedgerCardLifecycle` over the real transport to the fake ledger, the service signing its own
 * calls and a device of each customer's the cardholder's, so the ledger decides by the same roles
 * as the in-memory provider.
 */
const overTheWire = Layer.unwrapEffect(
  Effect.map(cardholderDeviceChannel({ rsaPublicKey: rsa.publicKeyPem }), (cardholder) =>
    LedgerCardLifecycle.layerOverClient({ cardholder })
  )
).pipe(
  Layer.provideMerge(
    Layer.unwrapEffect(
      Effect.map(WireServer, ({ url }) =>
        LedgerClient.layer({ ...dev.clientOptions(url), rsaPublicKey: rsa.publicKeyPem, retryBaseDelay: "1 millis" })
      )
    ).pipe(Layer.provide(UndiciHttpClient.layer({ timeout: "10 seconds" })))
  ),
  Layer.provideMerge(FakeLedgerServer.layer({ clients: [dev.registration], rsaPrivateKey: rsa.privateKeyPem })),
  Layer.provideMerge(FakeIssuer.layer())
)

cardLifecycleConformance("LedgerCardLifecycle over the wire fake ledger", overTheWire)
