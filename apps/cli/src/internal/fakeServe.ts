import { randomBytes } from "node:crypto"
import {
  FakeIssuer,
  FakeLedgerServer,
  FakeVisaServer,
  FakeWireServers,
  ledgerDocumentCard,
  makeDevLedgerClient,
  makeDeviceKeyPair,
  makeLedgerRsaKeys,
  WireServer,
  type WireServerTls
} from "@cardkit/fake"
import { InvalidRequest } from "@cardkit/domain"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Console, Context, Effect, Layer, Option, Redacted } from "effect"
import type { ServeArgs } from "../Cli.js"

/** Visa's sandbox example acquirer: the fake ignores it, but the Visa transport requires one. */
const exampleAcquiringBin = "408999"

const readTls = (args: ServeArgs) =>
  Effect.gen(function* () {
    if (Option.isNone(args.tlsCert) && Option.isNone(args.tlsKey)) return undefined
    if (Option.isNone(args.tlsCert) || Option.isNone(args.tlsKey)) {
      const [missing, other] = Option.isNone(args.tlsCert) ? ["--tls-cert", "--tls-key"] : ["--tls-key", "--tls-cert"]
      return yield* new InvalidRequest({ field: missing, reason: `is required with ${other}` })
    }
    const fs = yield* FileSystem.FileSystem
    const ca = Option.isSome(args.clientCa) ? yield* fs.readFileString(args.clientCa.value) : undefined
    const tls: WireServerTls = {
      cert: yield* fs.readFileString(args.tlsCert.value),
      key: yield* fs.readFileString(args.tlsKey.value),
      ...(ca === undefined ? {} : { ca, requireClientCertificate: true })
    }
    return tls
  })

/**
 * `cardkit fake serve`: both wire fakes on one port over one seeded issuer. The ledger gets a fresh
 * RSA key, whose public half clients encrypt CVVs and PINs to. Unless `--open`, a development client
 * is registered too, and everything it needs is printed, as the environment variables `--provider
 * live` reads; the key files are written to a temporary directory removed on exit.
 */
export const serveFakes = (args: ServeArgs) =>
  Effect.gen(function* () {
    const tls = yield* readTls(args)
    const ledgerClient = args.open ? undefined : makeDevLedgerClient()
    const visaClient = args.open
      ? undefined
      : { userId: `dev${randomBytes(8).toString("hex")}`, password: randomBytes(16).toString("base64url") }
    const rsa = makeLedgerRsaKeys()
    const app = yield* FakeWireServers.make({
      ledger:
        ledgerClient === undefined
          ? { open: true, rsaPrivateKey: rsa.privateKeyPem }
          : { clients: [ledgerClient.registration], rsaPrivateKey: rsa.privateKeyPem },
      visa: visaClient === undefined ? {} : { credentials: visaClient }
    })
    const server = yield* Layer.build(
      WireServer.layer(app, { host: args.host, port: args.port, ...(tls === undefined ? {} : { tls }) })
    )
    const { url } = Context.get(server, WireServer)

    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const directory = yield* fs.makeTempDirectoryScoped({ prefix: "cardkit-fake-" })
    const rsaFile = path.join(directory, "ledger-rsa-public-key.pem")
    yield* fs.writeFileString(rsaFile, rsa.publicKeyPem)
    const env: Record<string, string> = {}
    if (ledgerClient !== undefined) {
      const keyFile = path.join(directory, "ledger-dev-key.pem")
      yield* fs.writeFileString(keyFile, ledgerClient.privateKeyPem, { mode: 0o600 })
      // A device of the documents' customer, so the cardholder's operations (ACTIVATE among them,
      // which the ledger allows the cardholder only) can be signed as theirs.
      const deviceKeys = makeDeviceKeyPair()
      const device = yield* (yield* FakeIssuer).addUserKey({
        userName: `device-of-${ledgerDocumentCard.customerId}@customers.cardkit.test`,
        publicKey: deviceKeys.publicKeyPem,
        status: "ACTIVE",
        customerId: ledgerDocumentCard.customerId!
      })
      const deviceFile = path.join(directory, "ledger-cardholder-device-key.pem")
      yield* fs.writeFileString(deviceFile, deviceKeys.privateKeyPem, { mode: 0o600 })
      Object.assign(env, {
        CARDKIT_LEDGER_URL: url,
        CARDKIT_LEDGER_API_KEY: ledgerClient.apiKey,
        CARDKIT_LEDGER_KEY_ID: ledgerClient.keyId,
        CARDKIT_LEDGER_PRIVATE_KEY_FILE: keyFile,
        CARDKIT_LEDGER_USERNAME: ledgerClient.username,
        CARDKIT_LEDGER_CARDHOLDER_KEY_ID: device.keyId,
        CARDKIT_LEDGER_CARDHOLDER_API_KEY: Redacted.value(device.apiKey),
        CARDKIT_LEDGER_CARDHOLDER_PRIVATE_KEY_FILE: deviceFile
      })
    }
    env.CARDKIT_LEDGER_RSA_PUBLIC_KEY_FILE = rsaFile
    if (visaClient !== undefined) {
      Object.assign(env, {
        CARDKIT_VISA_URL: url,
        CARDKIT_VISA_USER_ID: visaClient.userId,
        CARDKIT_VISA_PASSWORD: visaClient.password,
        CARDKIT_VISA_ACQUIRING_BIN: exampleAcquiringBin
      })
    }
    const endpoints = {
      ledger: `${url}${FakeLedgerServer.path}`,
      ledgerCustomers: `${url}${FakeLedgerServer.customerPath}`,
      visa: `${url}${FakeVisaServer.path}`
    }
    yield* Console.log(
      args.json
        ? JSON.stringify({ url, open: args.open, endpoints, env })
        : [
            `cardkit fake listening on ${url}${args.open ? " (open: any credentials are accepted)" : ""}`,
            `  ledger    POST ${endpoints.ledger}`,
            `  ledger    POST ${endpoints.ledgerCustomers} (CustomerService.AddUserKey)`,
            `  Visa PAV  POST ${endpoints.visa}`,
            args.open
              ? "The ledger's RSA public key, which CVVs and PINs are encrypted to:"
              : "Development client (export these, or pass them as flags, for --provider live):",
            ...Object.entries(env).map(([name, value]) => `  ${name}=${value}`),
            "Stop with Ctrl+C."
          ].join("\n")
    )
    return yield* Effect.never
  }).pipe(Effect.scoped, Effect.provide(FakeIssuer.layer()))
