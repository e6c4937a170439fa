import { UndiciHttpClient } from "@cardkit/http"
import {
  LedgerCardLifecycle,
  LedgerCardSecrets,
  type DeviceCredentials,
  LedgerClient,
  LedgerDeviceSignedOperations,
  loadPrivateKey,
  signPayload
} from "@cardkit/ledger"
import { Effect, Layer, Option, Redacted } from "effect"
import { request } from "undici"
import { deviceSignedConformance } from "../src/conformance.js"
import {
  cardholderDeviceChannel,
  FakeIssuer,
  FakeLedgerServer,
  FakeProvider,
  makeCardholderDevice,
  makeDeviceKeyPair,
  makeDevLedgerClient,
  makeLedgerRsaKeys,
  WireServer
} from "../src/index.js"

deviceSignedConformance("FakeProvider in memory", FakeProvider.layer())

const dev = makeDevLedgerClient()
const devKey = loadPrivateKey(dev.privateKeyPem)
const rsa = makeLedgerRsaKeys()

/** What AddUserKey answered per key id, as a production backend keeps it for its cardholders' devices. */
const registered = new Map<string, DeviceCredentials>()

/** A fresh device key registered through the fake ledger's `/jsonrpc`, signed by the service's key. */
const registerOverTheWire = (customerId: string) =>
  Effect.flatMap(WireServer, ({ url }) =>
    Effect.promise(async () => {
      const keys = makeDeviceKeyPair()
      const payload = JSON.stringify({
        userName: `device-of-${customerId}@customers.cardkit.test`,
        publicKey: keys.publicKeyPem,
        status: "ACTIVE",
        customerId
      })
      const api = {
        credential: dev.credential,
        signature: signPayload(devKey, payload),
        apiKey: dev.apiKey,
        keyId: dev.keyId
      }
      const response = await request(`${url}${FakeLedgerServer.customerPath}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"jsonrpc":"2.0","method":"CustomerService.AddUserKey","id":"1","params":{"payload":${payload},"api":${JSON.stringify(api)}}}`
      })
      const { result } = (await response.body.json()) as { result: { keyID: string; apiKey: string } }
      registered.set(result.keyID, { apiKey: Redacted.make(result.apiKey) })
      return makeCardholderDevice({ keyId: result.keyID, apiKey: result.apiKey, privateKeyPem: keys.privateKeyPem })
    })
  )

/**
 * `LedgerDeviceSignedOperations` over the real transport to the fake ledger (which checks every
 * signature), beside `LedgerCardSecrets` and `LedgerCardLifecycle` on the same client for the plain
 * results; the cardholder's own steps of the plain lifecycle are signed by devices of theirs.
 */
const overTheWire = Layer.mergeAll(
  LedgerDeviceSignedOperations.layerOverClient({
    deviceCredentials: (keyId) => Effect.sync(() => Option.fromNullable(registered.get(keyId)))
  }),
  LedgerCardSecrets.layerOverClient(),
  Layer.unwrapEffect(
    Effect.map(cardholderDeviceChannel({ rsaPublicKey: rsa.publicKeyPem }), (cardholder) =>
      LedgerCardLifecycle.layerOverClient({ cardholder })
    )
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

deviceSignedConformance("LedgerDeviceSignedOperations over the wire fake ledger", overTheWire, {
  registerDevice: registerOverTheWire
})
