import { createCipheriv, createDecipheriv } from "node:crypto"
import selfsigned from "selfsigned"
import type { CvkPair, CvvInput } from "./VisaCvv.js"

/*
 * Test support for teams running the wire fakes over TLS: certificates made at test time, so no
 * key is ever checked in. Its own entry point (`@cardkit/fake/testing`) keeps `selfsigned` out of
 * what production code imports.
 */

export interface TestPki {
  /** Self-signed server certificate for 127.0.0.1/localhost; it also signs the client certificate. */
  readonly serverCert: string
  readonly serverKey: string
  readonly clientCert: string
  readonly clientKey: string
}

/** A fresh server and client certificate pair made at test time: no key is ever checked in. */
export const makeTestPki = async (): Promise<TestPki> => {
  const result = await selfsigned.generate([{ name: "commonName", value: "cardkit test" }], {
    keySize: 2048,
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true, clientAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" }
        ]
      }
    ],
    clientCertificate: true,
    clientCertificateCN: "cardkit test client"
  })
  if (result.clientcert === undefined || result.clientprivate === undefined) {
    throw new Error("selfsigned did not return a client certificate")
  }
  return {
    serverCert: result.cert,
    serverKey: result.private,
    clientCert: result.clientcert,
    clientKey: result.clientprivate
  }
}

/**
 * The Visa CVV algorithm written straight from its description, with fresh DES contexts at every
 * step: the reference the optimized calculator is checked against, and the naive baseline it is
 * benchmarked against.
 */
export const referenceCvv = (cvk: CvkPair, { pan, yymm, serviceCode }: CvvInput, digits = 3): string => {
  const des = (key: string, decrypt: boolean, block: Buffer) => {
    const k = Buffer.from(key + key, "hex")
    const c = decrypt ? createDecipheriv("des-ede-ecb", k, null) : createCipheriv("des-ede-ecb", k, null)
    c.setAutoPadding(false)
    return Buffer.concat([c.update(block), c.final()])
  }
  const data = (pan + yymm + serviceCode).padEnd(32, "0")
  const b1 = Buffer.from(data.slice(0, 16), "hex")
  const b2 = Buffer.from(data.slice(16), "hex")
  const x = Buffer.from(des(cvk.a, false, b1).map((byte, i) => byte ^ b2[i]!))
  const r = des(cvk.a, false, des(cvk.b, true, des(cvk.a, false, x)))
    .toString("hex")
    .toUpperCase()
  const numeric = [...r].filter((c) => c <= "9").join("")
  const letters = [...r]
    .filter((c) => c > "9")
    .map((c) => String(c.charCodeAt(0) - 65))
    .join("")
  return (numeric + letters).slice(0, digits)
}
