import type { KeyObject } from "node:crypto"
import { InvalidRequest } from "@cardkit/domain"
import { loadPublicKey } from "@cardkit/ledger"
import { Redacted } from "effect"

/** A cardholder's device key, registered through `CustomerService.AddUserKey`: it signs as LEGALREP. */
export interface DeviceKey {
  /** The `keyID` AddUserKey answered: the `keyId` the device's requests carry. */
  readonly keyId: string
  /** The API key AddUserKey answered, which the device's requests carry as `api.apiKey`. */
  readonly apiKey: Redacted.Redacted<string>
  readonly customerId: string
  readonly userName: string
  /** SPKI PEM of the device's P-256 public key. */
  readonly publicKeyPem: string
  readonly publicKey: KeyObject
  readonly status: string
}

/** The device keys of every customer. `fresh` makes up key ids and API keys. */
export const makeDevices = (fresh: () => string) => {
  const byKeyId = new Map<string, DeviceKey>()
  const byPublicKey = new Map<string, DeviceKey>()

  return {
    /**
     * Register `publicKeyPem` for the customer. The ledger lets no key serve two users, so a key
     * already registered for another customer is refused; registered again for the same one, it
     * keeps its key id and API key.
     */
    register: (
      customerId: string,
      userName: string,
      publicKeyPem: string,
      status: string
    ): DeviceKey | InvalidRequest => {
      let publicKey: KeyObject
      try {
        publicKey = loadPublicKey(publicKeyPem)
      } catch {
        return new InvalidRequest({ field: "publicKey", reason: "is not a PEM public key" })
      }
      if (publicKey.asymmetricKeyType !== "ec" || publicKey.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
        return new InvalidRequest({ field: "publicKey", reason: "is not an EC P-256 public key" })
      }
      const spki = publicKey.export({ type: "spki", format: "der" }).toString("base64")
      const held = byPublicKey.get(spki)
      if (held !== undefined) {
        return held.customerId === customerId
          ? held
          : new InvalidRequest({ field: "publicKey", reason: "is registered for another user" })
      }
      const device: DeviceKey = {
        keyId: `key-${fresh()}`,
        apiKey: Redacted.make(fresh()),
        customerId,
        userName,
        publicKeyPem,
        status,
        publicKey
      }
      byKeyId.set(device.keyId, device)
      byPublicKey.set(spki, device)
      return device
    },
    get: (keyId: string): DeviceKey | undefined => byKeyId.get(keyId)
  }
}
