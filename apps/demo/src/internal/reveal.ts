import { type CardCvv, type CardId, GetCvvRequest } from "@cardkit/domain"
import { HttpServerResponse } from "@effect/platform"
import { Redacted } from "effect"
import type { RevealCvvBody, RevealedCvv } from "../DemoApi.js"

/*
 * A measured fast path (apps/bench/README.md, "demo reveal route"), kept to this module.
 *
 * Why: the CVV route is the one the bench hammers, and both values here are made from values already
 * checked. The endpoint's schemas decoded the path and the body, so the `GetCvvRequest` is built
 * without validating them again; the provider's `CardCvv` is typed, so the answer is written in
 * `RevealedCvv`'s encoded shape (the compiler checks it) rather than run through the schema's
 * encoder. Doing either the schema's way costs the route a share of its requests per second.
 */

/** The domain's request for the card in the path, from the decoded body. */
export const revealRequest = (cardId: CardId, body: typeof RevealCvvBody.Type): GetCvvRequest =>
  new GetCvvRequest({ cardId, ...body }, { disableValidation: true })

const noStore = { "cache-control": "no-store" }

/** The one answer that carries a CVV in clear, never cached. */
export const revealedAnswer = (card: CardCvv): HttpServerResponse.HttpServerResponse => {
  const answer: RevealedCvv = {
    cardId: card.cardId,
    cvv: Redacted.value(card.cvv),
    card: card.flags,
    reference: card.ack.reference
  }
  return HttpServerResponse.unsafeJson(answer, { headers: noStore })
}
