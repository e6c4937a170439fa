import { GetCvvRequest, luhnCheckDigit } from "@cardkit/domain"
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Redacted, Schema, TestContext } from "effect"
import { type CardRecord, type CardStatus, cardStatuses, FakeIssuer, type IssueCardOptions } from "../src/index.js"
import { makeGeneratedCards } from "../src/internal/generatedCards.js"

describe("generated cards' columns", () => {
  it("hand back what they hold, once, by id or by PAN, through growth", () => {
    const cards = makeGeneratedCards("400000")
    const count = 5_000
    for (let i = 0; i < count; i++) {
      cards.add([i * 7919, 0xffffffff - i, i, 42], 100_000_000_000_000 + i, i, i * 3, 1_000 + i, 2030)
    }
    expect(cards.size()).toBe(count)
    const byId = cards.takeById(
      `${(777 * 7919).toString(16).padStart(8, "0")}${(0xffffffff - 777).toString(16)}${(777).toString(16).padStart(8, "0")}0000002a`
    )
    expect(byId).toEqual({
      cardId: expect.stringMatching(/^[0-9a-f]{32}$/),
      customerId: "100000000000777",
      accountNumber: "000000000000777",
      pan: `400000${String(777 * 3).padStart(9, "0")}${luhnCheckDigit(`400000${String(777 * 3).padStart(9, "0")}`)}`,
      postedMillis: 1_777,
      expiryYear: 2030
    })
    expect(cards.takeById(byId!.cardId)).toBeUndefined()
    expect(cards.takeByPan(byId!.pan)).toBeUndefined()
    expect(cards.hasPanDigits(777 * 3)).toBe(false)
    expect(cards.hasPanDigits(778 * 3)).toBe(true)

    const partial = `400000${String(4_999 * 3).padStart(9, "0")}`
    const wrongCheck = `${partial}${(Number(luhnCheckDigit(partial)) + 1) % 10}`
    expect(cards.takeByPan(wrongCheck)).toBeUndefined()
    expect(cards.takeByPan(`${partial}${luhnCheckDigit(partial)}`)?.customerId).toBe("100000000004999")
    expect(cards.takeById("not-a-generated-id")).toBeUndefined()
    expect(cards.size()).toBe(count - 2)
  })
})

/*
 * Differential: cards `issueCards` holds in columns must behave exactly as the same cards issued one
 * by one as ordinary objects. Both issuers share a seed, and `issueCards([{}])` draws what
 * `issueCard({})` draws, so the two stay in step through any sequence of operations.
 */
type Command =
  | { readonly _tag: "Blank"; readonly count: number }
  | { readonly _tag: "Explicit"; readonly reuseId?: number; readonly reusePan?: number; readonly freshId?: string }
  | { readonly _tag: "SetStatus"; readonly card: number; readonly status: CardStatus }
  | { readonly _tag: "GetCard"; readonly card: number; readonly unknown: boolean }
  | { readonly _tag: "FindByPan"; readonly card: number; readonly unknown: boolean }
  | { readonly _tag: "GetCvv"; readonly card: number; readonly owner: boolean }

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ _tag: fc.constant("Blank" as const), count: fc.integer({ min: 1, max: 30 }) }),
  fc.record(
    {
      _tag: fc.constant("Explicit" as const),
      reuseId: fc.nat(),
      reusePan: fc.nat(),
      freshId: fc.constantFrom("card-1", "card-2", "0000000000000000000000000000000a")
    },
    { requiredKeys: ["_tag"] }
  ),
  fc.record({ _tag: fc.constant("SetStatus" as const), card: fc.nat(), status: fc.constantFrom(...cardStatuses) }),
  fc.record({ _tag: fc.constant("GetCard" as const), card: fc.nat(), unknown: fc.boolean() }),
  fc.record({ _tag: fc.constant("FindByPan" as const), card: fc.nat(), unknown: fc.boolean() }),
  fc.record({ _tag: fc.constant("GetCvv" as const), card: fc.nat(), owner: fc.boolean() })
)

const observed = (card: CardRecord) => ({
  ...card,
  pan: Redacted.value(card.pan),
  cvv: Redacted.value(card.cvv),
  cvv2: Redacted.value(card.cvv2)
})

const observedExit = <A, E>(exit: Exit.Exit<A, E>, f: (a: A) => unknown) =>
  Exit.match(exit, { onFailure: (cause) => ({ failure: String(cause) }), onSuccess: (a) => ({ success: f(a) }) })

describe("generated cards behave as ordinary ones", () => {
  test.prop([fc.array(command, { minLength: 1, maxLength: 40 }), fc.integer()], { numRuns: 150 })(
    "any sequence of issues, replacements, status changes and lookups",
    (commands, seed) =>
      Effect.gen(function* () {
        const columns = yield* FakeIssuer.pipe(Effect.provide(FakeIssuer.layer({ seed })))
        const objects = yield* FakeIssuer.pipe(Effect.provide(FakeIssuer.layer({ seed })))
        // What the objects issuer handed out: the ids and PANs commands address.
        const known: Array<{ cardId: string; pan: string; customerId: string; accountNumber: string }> = []
        const pick = (n: number) => known[n % known.length]
        const both = <A>(f: (issuer: typeof columns) => Effect.Effect<A, unknown>) =>
          Effect.all([Effect.exit(f(columns)), Effect.exit(f(objects))])

        for (const c of commands) {
          switch (c._tag) {
            case "Blank": {
              yield* columns.issueCards(Array.from({ length: c.count }, () => ({})))
              for (let i = 0; i < c.count; i++) {
                const card = yield* objects.issueCard({})
                known.push({ ...card, pan: Redacted.value(card.pan) })
              }
              break
            }
            case "Explicit": {
              const cardId = c.reuseId !== undefined && known.length > 0 ? pick(c.reuseId)!.cardId : c.freshId
              const options: IssueCardOptions = {
                ...(cardId === undefined ? {} : { cardId }),
                ...(c.reusePan !== undefined && known.length > 0 ? { pan: pick(c.reusePan)!.pan } : {})
              }
              const [a, b] = yield* both((issuer) => issuer.issueCard(options))
              expect(observedExit(a, observed)).toEqual(observedExit(b, observed))
              if (Exit.isSuccess(b)) known.push({ ...b.value, pan: Redacted.value(b.value.pan) })
              break
            }
            case "SetStatus": {
              if (known.length === 0) break
              const [a, b] = yield* both((issuer) => issuer.setStatus(pick(c.card)!.cardId, c.status))
              expect(observedExit(a, observed)).toEqual(observedExit(b, observed))
              break
            }
            case "GetCard": {
              const cardId = c.unknown || known.length === 0 ? "ffffffffffffffffffffffffffffffff" : pick(c.card)!.cardId
              const [a, b] = yield* both((issuer) => issuer.getCard(cardId))
              expect(observedExit(a, observed)).toEqual(observedExit(b, observed))
              break
            }
            case "FindByPan": {
              const pan =
                c.unknown || known.length === 0
                  ? `400000999999999${luhnCheckDigit("400000999999999")}`
                  : pick(c.card)!.pan
              const [a, b] = yield* both((issuer) => issuer.findByPan(pan))
              expect(observedExit(a, (found) => Option.map(found, observed))).toEqual(
                observedExit(b, (found) => Option.map(found, observed))
              )
              break
            }
            case "GetCvv": {
              if (known.length === 0) break
              const card = pick(c.card)!
              const request = Schema.decodeUnknownSync(GetCvvRequest)({
                cardId: card.cardId,
                customerId: c.owner ? card.customerId : "999999999999999",
                accountNumber: card.accountNumber,
                reference: "differential"
              })
              const [a, b] = yield* both((issuer) => issuer.getCvv(request))
              expect(observedExit(a, (r) => Redacted.value(r.cvv))).toEqual(
                observedExit(b, (r) => Redacted.value(r.cvv))
              )
              break
            }
          }
          expect(yield* columns.size).toBe(yield* objects.size)
        }
      }).pipe(
        // The test clock stands still, so both issuers date their cards alike.
        Effect.provide(TestContext.TestContext),
        Effect.runPromise
      )
  )
})
