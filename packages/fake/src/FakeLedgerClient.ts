import { AuthenticationFailed, InvalidRequest } from "@cardkit/domain"
import {
  LedgerClient,
  type LedgerError,
  LedgerOperations,
  type Operation,
  type OperationCall,
  type OperationName,
  operationByType,
  payloadBytes,
  payloadOf,
  type PresignedPayload,
  type ResultOf
} from "@cardkit/ledger"
import { Config, type ConfigError, Context, Effect, Either, Layer, Option, Redacted, Schema } from "effect"
import { FakeIssuer } from "./FakeIssuer.js"
import { withFault } from "./Faults.js"
import type { Role } from "./internal/transitions.js"
import {
  type CallContext,
  deviceIdentity,
  FakeLedgerRoleConfig,
  ledgerHandlers,
  rsaReveal,
  runOperation
} from "./LedgerServer.js"

export interface FakeLedgerClientOptions {
  /** The role `call`s act in, as the service's key does: `ADMIN` by default. */
  readonly role?: Role
  /** PKCS#8 PEM of the ledger's RSA key, to decrypt a CVV or PIN a device already encrypted. */
  readonly rsaPrivateKey?: string
}

const provider = "ledger"

const make = (options: FakeLedgerClientOptions = {}): Effect.Effect<LedgerClient["Type"], never, FakeIssuer> =>
  Effect.gen(function* () {
    const issuer = yield* FakeIssuer
    const handlers = ledgerHandlers(issuer)
    const decrypt = rsaReveal(options.rsaPrivateKey)
    // Nothing crosses a wire here, so a caller's plaintext is used as it is; a device's ciphertext
    // (never all digits) is decrypted as the wire fake would.
    const reveal: CallContext["reveal"] = (field, value) =>
      /^\d*$/.test(value) ? Either.right(value) : decrypt(field, value)
    const asService: CallContext = { role: options.role ?? "ADMIN", customerId: undefined, reveal }

    const operationCall = <O extends Operation>(definition: O): OperationCall<O> => {
      const named = operationByType.get(definition.transactionType)
      const decodeResult = Schema.decodeUnknownEither(definition.result)
      const decodePayload = Schema.decodeUnknownEither(definition.payload)
      const run = (payload: unknown, context: CallContext): Effect.Effect<ResultOf<O>, LedgerError> => {
        if (named === undefined) {
          return Effect.fail(
            new InvalidRequest({ field: "params.payload.transactionType", reason: "is not supported" })
          )
        }
        const [name] = named
        return withFault(
          issuer.nextFault,
          name,
          runOperation(handlers, name, payload, context).pipe(
            Effect.mapError((failure) => failure.error),
            Effect.flatMap((encoded) =>
              Either.match(decodeResult(encoded), {
                onLeft: () => Effect.die(new Error(`the ${name} answer does not fit its result`)),
                onRight: (result) => Effect.succeed(result as ResultOf<O>)
              })
            )
          )
        )
      }
      const bytesOf = payloadBytes(definition)
      /** The payload as `call` sends it: nothing crosses a wire, so a caller's plaintext stays as it is. */
      const payloadFor = (input: object) =>
        Either.getOrThrow(payloadOf(definition, input, (_, plaintext) => Either.right(plaintext)))
      return {
        call: (input) => Effect.suspend(() => run(payloadFor(input), asService)),
        payload: (input) =>
          Effect.suspend(() =>
            Either.match(bytesOf(payloadFor(input)), { onLeft: Effect.fail, onRight: Effect.succeed })
          ),
        presigned: (presigned: PresignedPayload) =>
          Effect.suspend(() => {
            let parsed: unknown
            try {
              parsed = JSON.parse(presigned.payload)
            } catch {
              return Effect.fail(new InvalidRequest({ field: "payload", reason: "is not JSON" }))
            }
            if (Either.isLeft(decodePayload(parsed))) {
              return Effect.fail(
                new InvalidRequest({ field: "payload", reason: `is not a ${definition.transactionType} payload` })
              )
            }
            const apiKey = presigned.apiKey === undefined ? "" : Redacted.value(presigned.apiKey)
            return Effect.flatMap(
              deviceIdentity(issuer, presigned.keyId, apiKey, presigned.payload, presigned.signature),
              Option.match({
                onNone: () => Effect.fail(new AuthenticationFailed({ provider, reason: "authentication failed" })),
                onSome: (device) => run(parsed, { ...device, reveal })
              })
            )
          })
      }
    }

    const operations = Object.fromEntries(
      (Object.entries(LedgerOperations) as Array<[OperationName, Operation]>).map(([name, definition]) => [
        name,
        operationCall(definition)
      ])
    ) as unknown as Omit<LedgerClient["Type"], "operation">

    return LedgerClient.of({ ...operations, operation: operationCall })
  })

/**
 * The in-memory `LedgerClient`: every operation of the table answered by the fake ledger's own
 * handlers over the `FakeIssuer` in context, with no HTTP, no signing and no encryption in between.
 * `call`s act as the service (`ADMIN` unless `role` says otherwise); `presigned` payloads must be
 * signed by a device registered through `addUserKey` and act as LEGALREP for its customer, as on the
 * wire. Failures are the domain errors the real client makes of the wire fake's codes; injected
 * faults apply per operation (latency delays, the rest fail as `ProviderUnavailable`).
 */
export class FakeLedgerClient extends Context.Tag("@cardkit/fake/FakeLedgerClient")<
  FakeLedgerClient,
  LedgerClient["Type"]
>() {
  static readonly make = make

  /** Over the `FakeIssuer` in context; provides it as `LedgerClient` too. */
  static readonly layer = (
    options: FakeLedgerClientOptions = {}
  ): Layer.Layer<FakeLedgerClient | LedgerClient, never, FakeIssuer> =>
    Layer.effect(LedgerClient, FakeLedgerClient).pipe(Layer.provideMerge(Layer.effect(FakeLedgerClient, make(options))))

  /** As `layer`, the options read from `config`: by default the role `CARDKIT_FAKE_LEDGER_ROLE` names. */
  static readonly layerConfig = (
    config: Config.Config<FakeLedgerClientOptions> = FakeLedgerClientConfig
  ): Layer.Layer<FakeLedgerClient | LedgerClient, ConfigError.ConfigError, FakeIssuer> =>
    Layer.unwrapEffect(Effect.map(config, FakeLedgerClient.layer))
}

/** `CARDKIT_FAKE_LEDGER_ROLE` (`ADMIN` or `LEGALREP`, `ADMIN` by default): the role of the in-memory client's calls. */
export const FakeLedgerClientConfig: Config.Config<FakeLedgerClientOptions> = Config.map(
  FakeLedgerRoleConfig,
  (role) => ({
    role
  })
)
