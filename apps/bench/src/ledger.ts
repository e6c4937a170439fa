import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto"
import { CardSecrets, GetCvvRequest } from "@cardkit/domain"
import { UndiciHttpClient } from "@cardkit/http"
import { LedgerCardSecrets, LedgerClient } from "@cardkit/ledger"
import { Layer, ManagedRuntime, Redacted, Schema } from "effect"
import { startChild } from "./internal/child.js"
import {
  callsFigure,
  figure,
  fromPromisesFigure,
  interleaved,
  load,
  loadEffect,
  perSecond,
  rawPost,
  transportLoad
} from "./internal/measure.js"

/** The ledger document's GET_CVV payload, from its curl example. */
const payload = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve("@cardkit/ledger/fixtures/get-cvv.request.json"), "utf8")
).params.payload

/** What a client without cardkit does per call: serialize the payload and sign it with node:crypto. */
const signRaw = (key: KeyObject) => {
  const bytes = JSON.stringify(payload)
  return { bytes, signature: sign("sha256", Buffer.from(bytes, "utf8"), key).toString("base64") }
}

/**
 * The JSON-RPC request around a payload's exact bytes, as cardkit's client writes it: with its
 * default placement the key id travels in the body and in a `Signature` header.
 */
const ledgerRequest = ({ bytes, signature }: { readonly bytes: string; readonly signature: string }) => ({
  body: `{"method":"ledger.CARD.request","id":"1","params":{"payload":${bytes},"api":{"credential":"Basic YmVuY2g6YmVuY2gta2V5","signature":"${signature}","apiKey":"bench-key","keyId":"bench"}}}`,
  headers: { signature: `keyId="bench",algorithm="ecdsa-sha256",signature="${signature}"` }
})

/**
 * The ledger transport's GET_CVV round trip against raw undici posting the same signed bytes, and
 * signing through `CardSecrets` against raw undici signing each payload with node:crypto.
 */
export const benchLedger = async () => {
  const { port, child } = await startChild(new URL("./internal/cannedLedger.js", import.meta.url))
  try {
    const url = `http://127.0.0.1:${port}`
    const privateKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey
    const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString()
    const runtime = ManagedRuntime.make(
      LedgerCardSecrets.layer({
        url,
        apiKey: Redacted.make("bench-key"),
        credential: Redacted.make("Basic YmVuY2g6YmVuY2gta2V5"),
        keyId: "bench",
        privateKey: Redacted.make(privatePem)
      }).pipe(Layer.provide(UndiciHttpClient.layer({ timeout: "10 seconds" })))
    )
    const secrets = await runtime.runPromise(CardSecrets)
    const client = await runtime.runPromise(LedgerClient)
    const getCvv = Schema.decodeUnknownSync(GetCvvRequest)(payload)
    const signed = signRaw(privateKey)
    const presigned = { payload: signed.bytes, signature: signed.signature, keyId: "bench" }
    const { body, headers } = ledgerRequest(signed)
    const raw = rawPost(`${url}/cardv2`, body, headers)
    const rawSigning = rawPost(`${url}/cardv2`, () => ledgerRequest(signRaw(privateKey)))
    const { ours, fromPromises, signing, baseline, signingBaseline } = await interleaved(
      {
        ours: () => loadEffect(runtime, client.getCvv.presigned(presigned), transportLoad),
        fromPromises: () => load(() => runtime.runPromise(client.getCvv.presigned(presigned)), transportLoad),
        signing: () => loadEffect(runtime, secrets.getCvv(getCvv), transportLoad),
        baseline: () => load(raw.call, transportLoad),
        signingBaseline: () => load(rawSigning.call, transportLoad)
      },
      perSecond
    )
    await runtime.dispose()
    await raw.close()
    await rawSigning.close()
    return [
      callsFigure({
        section: "ledger",
        metric: `GET_CVV round trips per second, pre-signed (${transportLoad.concurrency} fibers)`,
        ours,
        baseline,
        goal: 0.6,
        note: `baseline: undici.request posting the same signed bytes, ${transportLoad.concurrency} in flight; ours: \`LedgerClient.getCvv.presigned\` forwarding them (it decodes the payload and checks the answer) in ${transportLoad.concurrency} fibers of one program`
      }),
      fromPromisesFigure("ledger", fromPromises, baseline),
      callsFigure({
        section: "ledger",
        metric: `GET_CVV through \`CardSecrets\`, signing each payload (${transportLoad.concurrency} fibers)`,
        ours: signing,
        baseline: signingBaseline,
        goal: 0.6,
        note: `baseline: undici.request posting a body it builds per call around the payload serialized with \`JSON.stringify\` and signed with node:crypto (ECDSA P-256, the same key), ${transportLoad.concurrency} in flight`
      }),
      figure({
        section: "ledger",
        metric: "client CPU per call",
        ours: ours.cpuMicrosPerCall,
        baseline: baseline.cpuMicrosPerCall,
        unit: "µs",
        higherIsBetter: false,
        goal: "(reported)",
        met: true
      })
    ]
  } finally {
    child.kill()
  }
}
