import selfsigned from "selfsigned"

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
