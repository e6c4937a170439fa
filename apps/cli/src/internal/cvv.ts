import { CardCvv, CardSecrets, decodeInput, GetCvvRequest } from "@cardkit/domain"
import { Console, Effect, Redacted, Schema } from "effect"
import type { CvvArgs } from "../Cli.js"
import { settingsProvider } from "../Settings.js"
import { given } from "./input.js"
import { guarded } from "./store.js"

/**
 * `cardkit cvv`: the CVV alone on one line, or the whole `CardCvv` with `--json`. The reveal is
 * audited and spends the reveal budgets, as the demo's does.
 */
export const revealCvv = (args: CvvArgs) =>
  Effect.gen(function* () {
    const request = yield* decodeInput(GetCvvRequest)({
      cardId: args.cardId,
      customerId: args.customerId,
      accountNumber: args.accountNumber,
      ...given({ product: args.product, program: args.program, channel: args.channel, reference: args.reference })
    })
    yield* Effect.logDebug(`revealing the CVV of card ${request.cardId} (provider: ${args.provider})`)
    const revealed = yield* guarded(
      args.provider,
      Effect.flatMap(CardSecrets, (secrets) => secrets.getCvv(request))
    ).pipe(Effect.withConfigProvider(settingsProvider(args.settings)))
    yield* Effect.logDebug(`revealed the CVV of card ${revealed.cardId}`)
    yield* Console.log(
      args.json ? JSON.stringify(Schema.encodeSync(CardCvv)(revealed), null, 2) : Redacted.value(revealed.cvv)
    )
  })
