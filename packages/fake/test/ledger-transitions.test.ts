import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { UndiciHttpClient } from "@cardkit/http"
import {
  LedgerClient,
  type LedgerError,
  type StatusAction,
  statusActionOf,
  statusActionSpellings,
  type WireCardType
} from "@cardkit/ledger"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import {
  type CardholderDevice,
  type CardStatus,
  cardStatuses,
  FakeIssuer,
  FakeLedgerServer,
  makeDevLedgerClient,
  makeLedgerRsaKeys,
  registerCardholderDevice,
  type Role,
  WireServer
} from "../src/index.js"

/*
 * The Update Status transition table, read from the reference itself (§6 of ledger-card-api.md, as
 * the page prints it: "REPORT MISSING CARD", "LOST STOLEN", "PHYSICAL / VIRTUAL", "—"), walked over
 * the wire with the real transport: every row for both roles, the service's key as ADMIN and a
 * cardholder's device key as LEGALREP, each action in every spelling; and every other action from
 * every status refused as StatusActionNotAllowed with the card's status and the action as sent.
 */

const reference = readFileSync(
  createRequire(import.meta.url).resolve("@cardkit/ledger/fixtures/ledger-card-api.md"),
  "utf8"
)

interface Row {
  readonly role: Role
  readonly cardType: WireCardType
  readonly status: CardStatus
  readonly action: StatusAction
  readonly next: CardStatus
}

/** The rows of §6's two tables; a blank cell repeats the one above, "—" allows nothing. */
const documentedRows = (text: string): ReadonlyArray<Row> => {
  const section = text.slice(text.indexOf("## 6. Update Status transition table"), text.indexOf("## 7."))
  const rows: Array<Row> = []
  let role: Role | undefined
  let types: ReadonlyArray<WireCardType> = []
  let status = ""
  for (const line of section.split("\n")) {
    const heading = /^### (LEGALREP|ADMIN)$/.exec(line)
    if (heading !== null) role = heading[1] as Role
    if (role === undefined || !line.startsWith("|") || line.startsWith("| Card type") || line.startsWith("|---")) {
      continue
    }
    const [type, current, action, next] = line
      .split("|")
      .slice(1, 5)
      .map((cell) => cell.trim())
    if (type !== "") types = type!.split(" / ") as Array<WireCardType>
    if (current !== "") status = current!
    if (action === "—") continue
    for (const cardType of types) {
      rows.push({
        role,
        cardType,
        status: status as CardStatus,
        action: statusActionOf(action as Parameters<typeof statusActionOf>[0]),
        next: next!.replaceAll(" ", "_") as CardStatus
      })
    }
  }
  return rows
}

const rows = documentedRows(reference)
const actions = Object.keys(statusActionSpellings) as Array<StatusAction>
const spellingsOf = (action: StatusAction): ReadonlyArray<string> => statusActionSpellings[action]

const dev = makeDevLedgerClient()
const rsa = makeLedgerRsaKeys()
const customer = { customerId: "100000000077001", accountNumber: "400320588377001" }
const where = { product: "DEFAULT", program: "DEFAULT", channel: "VISA_DPS" as const, ...customer }

const wire = Layer.unwrapEffect(
  Effect.map(WireServer, ({ url }) =>
    LedgerClient.layer({ ...dev.clientOptions(url), rsaPublicKey: rsa.publicKeyPem }).pipe(
      Layer.provide(UndiciHttpClient.layer())
    )
  )
).pipe(
  Layer.provideMerge(FakeLedgerServer.layer({ clients: [dev.registration], rsaPrivateKey: rsa.privateKeyPem })),
  Layer.provideMerge(FakeIssuer.layer({ seedDocuments: false }))
)

/** UPDATE_STATUS (or REPLACE_CARD) as the role signs it: ADMIN by the service's key, LEGALREP by the device's. */
const asRole = (role: Role, device: CardholderDevice) => {
  const send = <A>(
    name: "updateStatus" | "replaceCard",
    input: Record<string, unknown>
  ): Effect.Effect<A, LedgerError, LedgerClient> =>
    Effect.flatMap(LedgerClient, (ledger) =>
      role === "ADMIN"
        ? (ledger[name].call(input as never) as Effect.Effect<A, LedgerError>)
        : (device.send(ledger, name, input as never) as Effect.Effect<A, LedgerError>)
    )
  return send
}

/** A card of the test's customer in `status`, and what an action on it sends. */
const cardIn = (cardType: WireCardType, status: CardStatus) =>
  Effect.map(
    Effect.flatMap(FakeIssuer, (issuer) => issuer.issueCard({ ...customer, cardType, status })),
    (card) => ({ card, input: { ...where, cardId: card.cardId, cardCvv: card.cvv } })
  )

const statusOf = (cardId: string) =>
  Effect.map(
    Effect.flatMap(FakeIssuer, (issuer) => issuer.getCard(cardId)),
    (card) => card.status
  )

describe("the reference's transition table", () => {
  it("is read whole: 14 LEGALREP moves and 24 ADMIN ones", () => {
    expect(rows.filter((row) => row.role === "LEGALREP")).toHaveLength(14)
    expect(rows.filter((row) => row.role === "ADMIN")).toHaveLength(24)
  })
})

layer(wire, { excludeTestServices: true })("every transition over the wire", (it) => {
  for (const role of ["LEGALREP", "ADMIN"] as const) {
    for (const cardType of ["PHYSICAL", "VIRTUAL"] as const) {
      const allowed = rows.filter((row) => row.role === role && row.cardType === cardType)

      it.effect(`${role}, ${cardType}: each row moves the card where the table says, in every spelling`, () =>
        Effect.gen(function* () {
          const device = yield* registerCardholderDevice(customer.customerId, { rsaPublicKey: rsa.publicKeyPem })
          const send = asRole(role, device)
          for (const row of allowed) {
            for (const spelling of spellingsOf(row.action)) {
              const { card, input } = yield* cardIn(cardType, row.status)
              const moved = yield* send<{ card: { cardStatus: string } }>("updateStatus", {
                ...input,
                statusAction: spelling
              })
              expect(moved.card.cardStatus, `${row.status} ${spelling}`).toBe(row.next)
              expect(yield* statusOf(card.cardId)).toBe(row.next)
            }
            if (row.action === "REISSUE" || row.action === "REPLACE_CARD") {
              // The replace page sends these as REPLACE_CARD's own status action.
              for (const spelling of spellingsOf(row.action)) {
                const { card, input } = yield* cardIn(cardType, row.status)
                const { cardCvv: _, ...replace } = input
                const answer = yield* send<{ card: { cardStatus: string }; newCard: { cardId: string } }>(
                  "replaceCard",
                  { ...replace, statusAction: spelling }
                )
                expect(answer.card.cardStatus).toBe(row.next)
                expect(yield* statusOf(card.cardId)).toBe(row.next)
                expect(yield* statusOf(answer.newCard.cardId)).toBe("CARD_IS_NOT_ACTIVATED")
              }
            }
          }
        })
      )

      it.effect(`${role}, ${cardType}: every other action from every status is refused, the card left as it was`, () =>
        Effect.gen(function* () {
          const device = yield* registerCardholderDevice(customer.customerId, { rsaPublicKey: rsa.publicKeyPem })
          const send = asRole(role, device)
          let refusals = 0
          for (const status of cardStatuses) {
            for (const action of actions) {
              if (allowed.some((row) => row.status === status && row.action === action)) continue
              // The page's own spelling where it has one, so both spellings are refused alike; the
              // error names the action by its one name whichever spelling was sent.
              const spelling = spellingsOf(action).at(-1)!
              const { card, input } = yield* cardIn(cardType, status)
              const error = yield* Effect.flip(send("updateStatus", { ...input, statusAction: spelling }))
              expect(error, `${status} ${spelling}`).toMatchObject({
                _tag: "StatusActionNotAllowed",
                cardId: card.cardId,
                status,
                action
              })
              expect(yield* statusOf(card.cardId)).toBe(status)
              refusals++
            }
          }
          expect(refusals).toBe(cardStatuses.length * actions.length - allowed.length)
        })
      )
    }
  }
})
