import { generateKeyPairSync } from "node:crypto"
import { AccountValidation, AccountValidationRequest, decodeInput } from "@cardkit/domain"
import { VisaAccountValidation } from "@cardkit/visa-pav"
import { Effect, ManagedRuntime, Redacted } from "effect"
import { startChild } from "./internal/child.js"
import { figure, interleaved, load, perSecond, rawPost, transportLoad } from "./internal/measure.js"

const example = Effect.runSync(
  decodeInput(AccountValidationRequest)({
    pan: "4957030420210462",
    expiry: "2040-10",
    cvv2: "022",
    billingAddress: { street: "801 Metro Center Blv", postalCode: "94404" }
  })
)

/** One Visa figure: `VisaAccountValidation` against raw undici posting a body of the same size. */
const measure = async (mle: boolean) => {
  const client = generateKeyPairSync("rsa", { modulusLength: 2048 })
  const server = generateKeyPairSync("rsa", { modulusLength: 2048 })
  const pem = (
    key: { export: (o: { type: "spki" | "pkcs8"; format: "pem" }) => string | Buffer },
    type: "spki" | "pkcs8"
  ) => key.export({ type, format: "pem" }).toString()
  const { port, child } = await startChild(
    new URL("./internal/cannedVisa.js", import.meta.url),
    mle ? { BENCH_MLE_CLIENT_PUBLIC_KEY: pem(client.publicKey, "spki") } : {}
  )
  try {
    const url = `http://127.0.0.1:${port}`
    const runtime = ManagedRuntime.make(
      VisaAccountValidation.layer({
        url,
        userId: Redacted.make("bench"),
        password: Redacted.make("bench-password"),
        acquiringBin: "408999",
        acquirerCountryCode: "840",
        ...(mle
          ? {
              mle: {
                keyId: "bench-server",
                serverPublicKey: pem(server.publicKey, "spki"),
                clientPrivateKey: Redacted.make(pem(client.privateKey, "pkcs8"))
              }
            }
          : {})
      })
    )
    const validation = await runtime.runPromise(AccountValidation)
    const body = JSON.stringify({ encData: "x".repeat(mle ? 900 : 0), primaryAccountNumber: "4957030420210462" })
    const raw = rawPost(`${url}/pav/v1/cardvalidation`, body, { authorization: "Basic YmVuY2g6YmVuY2gtcGFzc3dvcmQ=" })
    const { ours, baseline } = await interleaved(
      {
        ours: () => load(() => runtime.runPromise(validation.validate(example)), transportLoad),
        baseline: () => load(raw.call, transportLoad)
      },
      perSecond
    )
    await runtime.dispose()
    await raw.close()
    return figure({
      section: "visa",
      metric: `card validations per second${mle ? ", MLE on" : ""} (${transportLoad.concurrency} in flight)`,
      ours: ours.perSecond,
      baseline: baseline.perSecond,
      unit: "calls/s",
      higherIsBetter: true,
      goal: "ratio ≥ 0.6",
      met: ours.perSecond / baseline.perSecond >= 0.6,
      note: `baseline: undici.request posting a body of the same size; client CPU ${Math.round(ours.cpuMicrosPerCall)} µs/call vs ${Math.round(baseline.cpuMicrosPerCall)} µs`
    })
  } finally {
    child.kill()
  }
}

/** The Visa transport with and without message-level encryption. */
export const benchVisa = async () => [await measure(false), await measure(true)]
