import * as Crypto from "node:crypto"
import { Clock, Effect, Redacted, Schema } from "effect"
import { CompactEncrypt, compactDecrypt } from "jose"

/*
 * Visa Message Level Encryption: the JSON body travels as `{"encData":"<JWE compact>"}`, JWE
 * `alg` RSA-OAEP-256, `enc` A128GCM (or A256GCM), protected header `kid` (the MLE key id) and
 * `iat` (milliseconds), with the key id also in the `keyId` HTTP header. A request is encrypted
 * to Visa's MLE public key; the response comes back encrypted to the client's. The fake Visa
 * server uses these same functions, so both sides agree by construction.
 */

export const MleEncryption = Schema.Literal("A128GCM", "A256GCM")
export type MleEncryption = typeof MleEncryption.Type

/** The body of an MLE message. */
export const MleBody = Schema.Struct({ encData: Schema.String }).annotations({ identifier: "MleBody" })
export type MleBody = typeof MleBody.Type

export class MleError extends Schema.TaggedError<MleError>()("MleError", { reason: Schema.String }) {}

/** The key an MLE message is encrypted to, with the id the recipient knows it by. */
export interface MleRecipient {
  readonly keyId: string
  readonly publicKey: Crypto.KeyObject
  readonly encryption?: MleEncryption
}

/** A public key from PEM: an X.509 certificate (as Visa hands out its MLE key) or an SPKI key. */
export const importMlePublicKey = (pem: string): Effect.Effect<Crypto.KeyObject, MleError> =>
  Effect.try({
    try: () => (pem.includes("CERTIFICATE") ? new Crypto.X509Certificate(pem).publicKey : Crypto.createPublicKey(pem)),
    catch: () => new MleError({ reason: "the MLE public key is not a PEM certificate or public key" })
  })

/** A private key from PEM (PKCS#8 or PKCS#1). */
export const importMlePrivateKey = (pem: Redacted.Redacted<string>): Effect.Effect<Crypto.KeyObject, MleError> =>
  Effect.try({
    try: () => Crypto.createPrivateKey(Redacted.value(pem)),
    catch: () => new MleError({ reason: "the MLE private key is not a PEM private key" })
  })

/** Encrypt `plaintext` (the JSON text) to `recipient`; the result is the `encData` value. */
export const mleEncrypt = (plaintext: string, recipient: MleRecipient): Effect.Effect<string, MleError> =>
  Effect.flatMap(Clock.currentTimeMillis, (iat) =>
    Effect.tryPromise({
      try: () =>
        new CompactEncrypt(new TextEncoder().encode(plaintext))
          .setProtectedHeader({
            alg: "RSA-OAEP-256",
            enc: recipient.encryption ?? "A128GCM",
            kid: recipient.keyId,
            iat
          })
          .encrypt(recipient.publicKey),
      catch: () => new MleError({ reason: "MLE encryption failed" })
    })
  )

export interface MleDecrypted {
  readonly plaintext: string
  /** The `kid` of the protected header. */
  readonly keyId: string | undefined
}

/** Decrypt an `encData` value with `privateKey`. */
export const mleDecrypt = (encData: string, privateKey: Crypto.KeyObject): Effect.Effect<MleDecrypted, MleError> =>
  Effect.tryPromise({
    try: async () => {
      const { plaintext, protectedHeader } = await compactDecrypt(encData, privateKey, {
        keyManagementAlgorithms: ["RSA-OAEP-256"],
        contentEncryptionAlgorithms: ["A128GCM", "A256GCM"]
      })
      return { plaintext: new TextDecoder().decode(plaintext), keyId: protectedHeader.kid }
    },
    catch: () => new MleError({ reason: "the message is not a JWE this key can decrypt" })
  })

/** Whether a parsed JSON body is an MLE envelope. */
export const isMleBody = (body: unknown): body is MleBody =>
  typeof body === "object" && body !== null && typeof (body as { encData?: unknown }).encData === "string"
