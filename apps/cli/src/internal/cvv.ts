import { CardCvv, CardSecrets, decodeInput, GetCvvRequest } from "@cardkit/domain"
import { Console, Effect, type Layer, Redacted, Schema } from "effect"
import type { CvvArgs } from "../Cli.js"
import { settingsProvider } from "../Settings.js"
import { given } from "./input.js"

// The provider is imported only when chosen: the fake does not need undici, the ledger not the fake.
const cardSecrets = (provider: CvvArgs["provider"]): Effect.Effect<Layer.Layer<CardSecrets, unknown>> =>
  provider === "fake"
    ? Effect.promise(() => import("@cardkit/fake")).pipe(Effect.map((fake) => fake.FakeProvider.layer))
    : Effect.promise(() => import("@cardkit/ledger")).pipe(
        Effect.map((ledger) => ledger.LedgerCardSecrets.layerConfig())
      )

/** `cardkit cvv`: the CVV alone on one line, or the whole `CardCvv` with `--json`. */
export const revealCvv = (args: CvvArgs) =>
  Effect.gen(function* () {
    const request = yield* decodeInput(GetCvvRequest)({
      cardId: args.cardId,
      customerId: args.customerId,
      accountNumber: args.accountNumber,
      ...given({ product: args.product, program: args.program, channel: args.channel, reference: args.reference })
    })
    yield* Effect.logDebug(`revealing the CVV of card ${request.cardId} (provider: ${args.provider})`)
    const services = yield* cardSecrets(args.provider)
    const revealed = yield* Effect.flatMap(CardSecrets, (secrets) => secrets.getCvv(request)).pipe(
      Effect.provide(services),
      Effect.withConfigProvider(settingsProvider(args.settings))
    )
    yield* Effect.logDebug(`revealed the CVV of card ${revealed.cardId}`)
    yield* Console.log(
      args.json ? JSON.stringify(Schema.encodeSync(CardCvv)(revealed), null, 2) : Redacted.value(revealed.cvv)
    )
  })
