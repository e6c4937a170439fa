import type { StatusAction, WireCardType } from "@cardkit/ledger"
import type { CardStatus } from "../FakeIssuer.js"

/**
 * Who asks for a status change: `LEGALREP` is the card or account holder (a request signed by their
 * device's key), `ADMIN` the program's admin (a request signed by the service's key).
 */
export type Role = "LEGALREP" | "ADMIN"

export const roles: ReadonlyArray<Role> = ["LEGALREP", "ADMIN"]

type Moves = Partial<Record<StatusAction, CardStatus>>
type Table = Record<Role, Record<WireCardType, Partial<Record<CardStatus, Moves>>>>

/*
 * The Update Status page's transition table (reference §6, D-US 1.0.2), row for row, with the page's
 * spellings turned into the wire's: "REPORT MISSING CARD" is `REPORT_LOST_STOLEN`, "REPLACE CARD"
 * `REPLACE_CARD`, "MARK UNDELIVERED" `MARK_UNDELIVERED`, and the new statuses "LOST STOLEN",
 * "RETURNED UNDELIVERED" and "NOT IN USE" take underscores as the current-status column writes them.
 * A status the table gives no row (CLOSED, RETURNED_UNDELIVERED for LEGALREP, TEMPRORY_BLOCKED_BY_ADMIN
 * for LEGALREP, DEACTIVATED for LEGALREP, NOT_IN_USE, …) allows nothing.
 */
export const transitionTable: Table = {
  LEGALREP: {
    PHYSICAL: {
      CARD_IS_NOT_ACTIVATED: { ACTIVATE: "ACTIVATED", REPORT_LOST_STOLEN: "LOST_STOLEN", REISSUE: "NOT_IN_USE" },
      ACTIVATED: { LOCK: "TEMPRORY_BLOCKED_BY_CLIENT", REPORT_LOST_STOLEN: "LOST_STOLEN", REISSUE: "NOT_IN_USE" },
      TEMPRORY_BLOCKED_BY_CLIENT: { UNLOCK: "ACTIVATED", REPORT_LOST_STOLEN: "LOST_STOLEN", REISSUE: "NOT_IN_USE" },
      LOST_STOLEN: { REPLACE_CARD: "NOT_IN_USE" }
    },
    VIRTUAL: {
      ACTIVATED: { LOCK: "TEMPRORY_BLOCKED_BY_CLIENT", DEACTIVATE: "DEACTIVATED" },
      TEMPRORY_BLOCKED_BY_CLIENT: { UNLOCK: "ACTIVATED", DEACTIVATE: "DEACTIVATED" }
    }
  },
  ADMIN: {
    PHYSICAL: {
      CARD_IS_NOT_ACTIVATED: {
        MARK_UNDELIVERED: "RETURNED_UNDELIVERED",
        REPORT_LOST_STOLEN: "LOST_STOLEN",
        CLOSE: "CLOSED",
        REISSUE: "NOT_IN_USE"
      },
      RETURNED_UNDELIVERED: { REPLACE_CARD: "NOT_IN_USE", CLOSE: "CLOSED" },
      LOST_STOLEN: { CLOSE: "CLOSED", REPLACE_CARD: "NOT_IN_USE" },
      ACTIVATED: {
        LOCK: "TEMPRORY_BLOCKED_BY_CLIENT",
        BLOCK: "TEMPRORY_BLOCKED_BY_ADMIN",
        CLOSE: "CLOSED",
        REISSUE: "NOT_IN_USE",
        REPORT_LOST_STOLEN: "LOST_STOLEN"
      },
      TEMPRORY_BLOCKED_BY_CLIENT: { UNLOCK: "ACTIVATED", REISSUE: "NOT_IN_USE" },
      TEMPRORY_BLOCKED_BY_ADMIN: { UNBLOCK: "ACTIVATED" }
    },
    VIRTUAL: {
      ACTIVATED: {
        LOCK: "TEMPRORY_BLOCKED_BY_CLIENT",
        BLOCK: "TEMPRORY_BLOCKED_BY_ADMIN",
        CLOSE: "CLOSED",
        DEACTIVATE: "DEACTIVATED"
      },
      TEMPRORY_BLOCKED_BY_CLIENT: { UNLOCK: "ACTIVATED", DEACTIVATE: "DEACTIVATED" },
      TEMPRORY_BLOCKED_BY_ADMIN: { UNBLOCK: "ACTIVATED" },
      DEACTIVATED: { CLOSE: "CLOSED" }
    }
  }
}

/** The status `action` moves a card to, if the table allows it for this role, card type and status. */
export const nextStatus = (
  role: Role,
  cardType: WireCardType,
  status: CardStatus,
  action: StatusAction
): CardStatus | undefined => {
  const byStatus = transitionTable[role][cardType]
  const moves = Object.hasOwn(byStatus, status) ? byStatus[status]! : undefined
  return moves !== undefined && Object.hasOwn(moves, action) ? moves[action] : undefined
}
