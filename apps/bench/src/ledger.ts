import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { generateKeyPairSync } from "node:crypto"
import { CardSecrets, GetCvvRequest } from "@cardkit/domain"
import { LedgerCardSecrets, LedgerClient, loadPrivateKey, signPayload } from "@cardkit/ledger"
import { ManagedRuntime, Redacted, Schema } from "effect"
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

/** The ledger transport's GET_CVV round trip against raw undici posting the same signed bytes. */
export const benchLedger = async () => {
  const { port, child } = await startChild(new URL("./internal/cannedLedger.js", import.meta.url))
  try {
    const url = `http://127.0.0.1:${port}`
    const privatePem = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString()
    const runtime = ManagedRuntime.make(
      LedgerCardSecrets.layer({
        url,
        apiKey: Redacted.make("bench-key"),
        credential: Redacted.make("Basic YmVuY2g6YmVuY2gta2V5"),
        keyId: "bench",
        privateKey: Redacted.make(privatePem)
      })
    )
    const secrets = await runtime.runPromise(CardSecrets)
    const client = await runtime.runPromise(LedgerClient)
    const getCvv = Schema.decodeUnknownSync(GetCvvRequest)(payload)
    const bytes = JSON.stringify(payload)
    const signature = signPayload(loadPrivateKey(privatePem), bytes)
    const presigned = { payload: bytes, signature, keyId: "bench" }
    const body = `{"method":"ledger.CARD.request","id":"1","params":{"payload":${bytes},"api":{"credential":"Basic YmVuY2g6YmVuY2gta2V5","signature":"${signature}","apiKey":"bench-key","keyId":"bench"}}}`
    const raw = rawPost(`${url}/cardv2`, body)
    const { ours, fromPromises, signing, baseline } = await interleaved(
      {
        ours: () => loadEffect(runtime, client.getCvv.presigned(presigned), transportLoad),
        fromPromises: () => load(() => runtime.runPromise(client.getCvv.presigned(presigned)), transportLoad),
        signing: () => loadEffect(runtime, secrets.getCvv(getCvv), transportLoad),
        baseline: () => load(raw.call, transportLoad)
      },
      perSecond
    )
    await runtime.dispose()
    await raw.close()
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
        metric: "GET_CVV through `CardSecrets`, signing each payload",
        ours: signing,
        baseline,
        note: "each call serializes and signs its payload (ECDSA P-256), work the pre-signed baseline does not do"
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
