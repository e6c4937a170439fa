import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { generateKeyPairSync } from "node:crypto"
import { CardSecrets, GetCvvRequest } from "@cardkit/domain"
import { LedgerCardSecrets, loadPrivateKey, signPayload } from "@cardkit/ledger"
import { ManagedRuntime, Redacted, Schema } from "effect"
import { startChild } from "./internal/child.js"
import { figure, load, rawPostLoad, transportLoad } from "./internal/measure.js"

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
    const getCvv = Schema.decodeUnknownSync(GetCvvRequest)(payload)
    const ours = await load(() => runtime.runPromise(secrets.getCvv(getCvv)), transportLoad)
    await runtime.dispose()

    const bytes = JSON.stringify(payload)
    const signature = signPayload(loadPrivateKey(privatePem), bytes)
    const body = `{"method":"ledger.CARD.request","id":"1","params":{"payload":${bytes},"api":{"credential":"Basic YmVuY2g6YmVuY2gta2V5","signature":"${signature}","apiKey":"bench-key","keyId":"bench"}}}`
    const baseline = await rawPostLoad(`${url}/cardv2`, body)
    return [
      figure({
        section: "ledger",
        metric: `GET_CVV round trips per second (${transportLoad.concurrency} in flight)`,
        ours: ours.perSecond,
        baseline: baseline.perSecond,
        unit: "calls/s",
        higherIsBetter: true,
        goal: "ratio ≥ 0.6",
        met: ours.perSecond / baseline.perSecond >= 0.6,
        note: "baseline: undici.request posting the same signed bytes"
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
