import { constants, generateKeyPairSync, publicEncrypt } from "node:crypto"
import type { InvalidRequest } from "@cardkit/domain"
import {
  type CallInput,
  type CardholderChannel,
  LedgerClient,
  type LedgerError,
  LedgerOperations,
  loadPrivateKey,
  loadPublicKey,
  type OperationName,
  payloadOf,
  type ResultOf,
  signPayload
} from "@cardkit/ledger"
import { Effect, Either, Redacted } from "effect"
import { FakeIssuer } from "./FakeIssuer.js"

/** A cardholder's device as tests play it: it signs payloads with its own key, so they act as LEGALREP. */
export interface CardholderDevice {
  /** The `keyID` AddUserKey answered. */
  readonly keyId: string
  /** The API key AddUserKey answered. */
  readonly apiKey: Redacted.Redacted<string>
  /** The device's signature (base64 DER ECDSA-SHA256) over exactly `payload`'s bytes, as a backend hands them over. */
  readonly sign: (payload: string) => string
  /**
   * `name`'s payload for `input` as the device builds it (its CVV or PIN encrypted to the ledger's
   * RSA key when one was given), signed by the device and sent through `client[name].presigned`.
   */
  readonly send: <K extends OperationName>(
    client: LedgerClient["Type"],
    name: K,
    input: CallInput<LedgerOperations[K]>
  ) => Effect.Effect<ResultOf<LedgerOperations[K]>, LedgerError>
}

export interface CardholderDeviceOptions {
  /** SPKI PEM of the ledger's RSA key; without it a device's CVV and PIN go as they are (in memory only). */
  readonly rsaPublicKey?: string | undefined
}

/** A device's fresh P-256 key pair: the public half is what AddUserKey registers. */
export const makeDeviceKeyPair = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString()
  }
}

/** The device of a key pair AddUserKey registered (over `/jsonrpc` or through the issuer). */
export const makeCardholderDevice = (
  registration: {
    readonly keyId: string
    readonly apiKey: string | Redacted.Redacted<string>
    readonly privateKeyPem: string
  },
  options: CardholderDeviceOptions = {}
): CardholderDevice => {
  const signingKey = loadPrivateKey(registration.privateKeyPem)
  const rsa = options.rsaPublicKey === undefined ? undefined : loadPublicKey(options.rsaPublicKey)
  const apiKey = Redacted.isRedacted(registration.apiKey) ? registration.apiKey : Redacted.make(registration.apiKey)
  return {
    keyId: registration.keyId,
    apiKey,
    sign: (payload) => signPayload(signingKey, payload),
    send: (client, name, input) => {
      const payload = JSON.stringify(
        Either.getOrThrow(
          payloadOf(LedgerOperations[name], input, (field, plaintext) =>
            Either.right(
              rsa === undefined || !field.plaintext.test(plaintext)
                ? plaintext
                : publicEncrypt({ key: rsa, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(plaintext)).toString(
                    "base64"
                  )
            )
          )
        )
      )
      const call = client[name] as unknown as LedgerClient["Type"]["getCvv"]
      return call.presigned({
        payload,
        signature: signPayload(signingKey, payload),
        keyId: registration.keyId,
        apiKey
      }) as unknown as Effect.Effect<ResultOf<LedgerOperations[typeof name]>, LedgerError>
    }
  }
}

/** A new device of the customer's, its key registered as AddUserKey does it, straight through the issuer. */
export const registerCardholderDevice = (
  customerId: string,
  options: CardholderDeviceOptions = {}
): Effect.Effect<CardholderDevice, InvalidRequest, FakeIssuer> =>
  Effect.flatMap(FakeIssuer, (issuer) => {
    const keys = makeDeviceKeyPair()
    return Effect.map(
      issuer.addUserKey({
        userName: `device-of-${customerId}@customers.cardkit.test`,
        publicKey: keys.publicKeyPem,
        status: "ACTIVE",
        customerId
      }),
      (device) => makeCardholderDevice({ ...device, privateKeyPem: keys.privateKeyPem }, options)
    )
  })

/**
 * A `CardholderChannel` for `LedgerCardLifecycle` as tests play the cardholder: each customer's
 * operations are signed by a device of theirs (registered through the issuer when first needed)
 * and sent through `ledger`, so over the wire fake they act as LEGALREP, as production's do.
 */
export const cardholderDeviceChannel = (
  options: CardholderDeviceOptions = {}
): Effect.Effect<CardholderChannel, never, FakeIssuer | LedgerClient> =>
  Effect.gen(function* () {
    const issuer = yield* FakeIssuer
    const ledger = yield* LedgerClient
    const devices = new Map<string, CardholderDevice>()
    const deviceOf = (customerId: string) => {
      const known = devices.get(customerId)
      return known !== undefined
        ? Effect.succeed(known)
        : registerCardholderDevice(customerId, options).pipe(
            Effect.provideService(FakeIssuer, issuer),
            // A customer id the issuer cannot register is a test's own mistake.
            Effect.orDie,
            Effect.tap((device) => Effect.sync(() => devices.set(customerId, device)))
          )
    }
    return {
      send: (customerId, name, input) =>
        Effect.flatMap(deviceOf(customerId), (device) => device.send(ledger, name, input))
    }
  })
