import type { CardStatus } from "@cardkit/domain"

/*
 * The ledger's card statuses in the domain's provider-neutral terms. The ledger's spellings are its
 * own (`TEMPRORY_…` sic, both `ACTIVE` and `ACTIVATED`, both `EXPIRED_CARD` and `EXPIRE_CARD`, the
 * page's spaced forms); one it does not document is `unknown`, and every card keeps the raw one.
 */
const statuses: ReadonlyMap<string, CardStatus> = new Map<string, CardStatus>([
  ["ACTIVATED", "active"],
  ["ACTIVE", "active"],
  ["CARD_IS_NOT_ACTIVATED", "inactive"],
  ["TEMPRORY_BLOCKED_BY_CLIENT", "frozen"],
  ["TEMPRORY_BLOCKED_BY_ADMIN", "blocked"],
  ["LOST_STOLEN", "lost_stolen"],
  ["LOST STOLEN", "lost_stolen"],
  ["CLOSED", "closed"],
  ["DEACTIVATED", "deactivated"],
  ["EXPIRED_CARD", "expired"],
  ["EXPIRE_CARD", "expired"],
  ["NOT_IN_USE", "not_in_use"],
  ["NOT IN USE", "not_in_use"],
  ["RETURNED_UNDELIVERED", "returned_undelivered"],
  ["RETURNED UNDELIVERED", "returned_undelivered"],
  ["CARD_REQUEST_NOT_PROCESSED", "not_processed"]
])

/** The domain's status for the ledger's `raw` spelling; a Map, so `__proto__` is `unknown` too. */
export const toCardStatus = (raw: string): CardStatus => statuses.get(raw) ?? "unknown"
