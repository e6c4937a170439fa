import { generateKeyPairSync } from "node:crypto"
import { AccountValidation, AccountValidationRequest, decodeInput } from "@cardkit/domain"
import { UndiciHttpClient } from "@cardkit/http"
import { VisaAccountValidation } from "@cardkit/visa-pav"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { CompactEncrypt, compactDecrypt } from "jose"
import { startChild } from "./internal/child.js"
import {
  callsFigure,
  fromPromisesFigure,
  interleaved,
  type LoadResult,
  load,
  loadEffect,
  perSecond,
  rawPost,
  transportLoad
} from "./internal/measure.js"

const example = Effect.runSync(
  decodeInput(AccountValidationRequest)({
    pan: "4957030420210462",
    expiry: "2040-10",
    cvv2: "022",
    billingAddress: { street: "801 Metro Center Blv", postalCode: "94404" }
  })
)

const pem = (
  key: { export: (o: { type: "spki" | "pkcs8"; format: "pem" }) => string | Buffer },
  type: "spki" | "pkcs8"
) => key.export({ type, format: "pem" }).toString()

/**
 * The Visa transport against raw undici posting a body of the same size; with MLE also against raw
 * undici doing the same JWE work with jose (encrypt the request, decrypt the answer), the least any
 * MLE client has to compute per call.
 */
const measure = async (mle: boolean) => {
  const client = generateKeyPairSync("rsa", { modulusLength: 2048 })
  const server = generateKeyPairSync("rsa", { modulusLength: 2048 })
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
      }).pipe(Layer.provide(UndiciHttpClient.layer()))
    )
    const validation = await runtime.runPromise(AccountValidation)
    const body = JSON.stringify({ encData: "x".repeat(mle ? 900 : 0), primaryAccountNumber: "4957030420210462" })
    const headers = { authorization: "Basic YmVuY2g6YmVuY2gtcGFzc3dvcmQ=" }
    const raw = rawPost(`${url}/pav/v1/cardvalidation`, body, headers)
    const wire = JSON.stringify({ primaryAccountNumber: "4957030420210462", cardCvv2Value: "022" }).padEnd(400)
    const rawCrypto = rawPost(
      `${url}/pav/v1/cardvalidation`,
      async () => {
        const encData = await new CompactEncrypt(new TextEncoder().encode(wire))
          .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A128GCM", kid: "bench-server", iat: Date.now() })
          .encrypt(server.publicKey)
        return JSON.stringify({ encData })
      },
      headers,
      (answer) =>
        compactDecrypt((answer as { encData: string }).encData, client.privateKey, {
          keyManagementAlgorithms: ["RSA-OAEP-256"],
          contentEncryptionAlgorithms: ["A128GCM", "A256GCM"]
        })
    )
    const measurements: Record<string, () => Promise<LoadResult>> = {
      ours: () => loadEffect(runtime, validation.validate(example), transportLoad),
      baseline: () => load(raw.call, transportLoad)
    }
    if (mle) measurements.withCrypto = () => load(rawCrypto.call, transportLoad)
    else measurements.fromPromises = () => load(() => runtime.runPromise(validation.validate(example)), transportLoad)
    const results = await interleaved(measurements, perSecond)
    const ours = results.ours!
    const baseline = results.baseline!
    const withCrypto = results.withCrypto
    const fromPromises = results.fromPromises
    await runtime.dispose()
    await raw.close()
    await rawCrypto.close()
    const cpu = (result: { cpuMicrosPerCall: number }) => `${Math.round(result.cpuMicrosPerCall)} µs`
    const figures = [
      callsFigure({
        section: "visa",
        metric: `card validations per second${mle ? ", MLE on" : ""} (${transportLoad.concurrency} fibers)`,
        ours,
        baseline,
        goal: 0.6,
        note: `baseline: undici.request posting a body of the same size, ${transportLoad.concurrency} in flight; client CPU ${cpu(ours)}/call vs ${cpu(baseline)}`
      })
    ]
    if (fromPromises !== undefined) figures.push(fromPromisesFigure("visa", fromPromises, baseline))
    if (withCrypto !== undefined) {
      figures.push(
        callsFigure({
          section: "visa",
          metric: "card validations per second, MLE on, against raw undici doing the same JWE work",
          ours,
          baseline: withCrypto,
          note: `baseline: undici.request, with jose encrypting each request and decrypting each answer; client CPU ${cpu(ours)}/call vs ${cpu(withCrypto)}`
        })
      )
    }
    return figures
  } finally {
    child.kill()
  }
}

/** The Visa transport with and without message-level encryption. */
export const benchVisa = async () => [...(await measure(false)), ...(await measure(true))]
