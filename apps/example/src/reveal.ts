import {
  AccountValidation,
  AccountValidationRequest,
  CardSecrets,
  decodeInput,
  GetCvvRequest,
  maskPan
} from "@cardkit/domain"
import { Effect, Redacted } from "effect"

/**
 * A product team's use case, written against the provider-neutral services only: whichever
 * Layer provides CardSecrets and AccountValidation (the fake, or the ledger and Visa
 * transports) runs it unchanged.
 */
export const revealAndValidate = (input: { readonly cardRequest: unknown; readonly validation: unknown }) =>
  Effect.gen(function* () {
    const secrets = yield* CardSecrets
    const accounts = yield* AccountValidation
    const cardRequest = yield* decodeInput(GetCvvRequest)(input.cardRequest)
    const validation = yield* decodeInput(AccountValidationRequest)(input.validation)
    const card = yield* secrets.getCvv(cardRequest)
    const verdict = yield* accounts.validate(validation)
    return {
      cardId: card.cardId,
      cvv: Redacted.value(card.cvv),
      ack: card.ack.type,
      account: maskPan(validation.pan),
      approved: verdict.approved,
      actionCode: verdict.actionCode
    }
  })
