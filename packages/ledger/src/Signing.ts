import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto"

/*
 * The ledger's payload signature: ECDSA P-256 with SHA-256 over the exact bytes of the serialized
 * `params.payload`, sent as standard base64 of the ASN.1 DER signature. Keys are PKCS#8 (private)
 * and SPKI (public) PEM. node:crypto does all of it; no library is needed.
 */

export const loadPrivateKey = (pem: string): KeyObject => {
  const key = createPrivateKey(pem)
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new Error("the ledger signing key must be an EC P-256 private key")
  }
  return key
}

export const loadPublicKey = (pem: string): KeyObject => createPublicKey(pem)

export const signPayload = (key: KeyObject, payload: string): string =>
  sign("sha256", Buffer.from(payload, "utf8"), key).toString("base64")

export const verifyPayloadSignature = (key: KeyObject, payload: string, signature: string): boolean => {
  try {
    return verify("sha256", Buffer.from(payload, "utf8"), key, Buffer.from(signature, "base64"))
  } catch {
    return false
  }
}

/** `Signature: keyId="…",algorithm="ecdsa-sha256",signature="…"`, as public clients send it. */
export const signatureHeader = (keyId: string, signature: string): string =>
  `keyId="${keyId}",algorithm="ecdsa-sha256",signature="${signature}"`

export const parseSignatureHeader = (
  header: string
): { readonly keyId: string; readonly algorithm: string; readonly signature: string } | undefined => {
  const fields = new Map<string, string>()
  for (const match of header.matchAll(/(\w+)="([^"]*)"/g)) fields.set(match[1]!, match[2]!)
  const keyId = fields.get("keyId")
  const signature = fields.get("signature")
  if (keyId === undefined || signature === undefined) return undefined
  return { keyId, algorithm: fields.get("algorithm") ?? "ecdsa-sha256", signature }
}
