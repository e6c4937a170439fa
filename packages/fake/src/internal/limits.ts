import { InvalidRequest } from "@cardkit/domain"
import type { CycleType, LimitType, WireCardType } from "@cardkit/ledger"

/** A limit of a card: an amount (`VOLUME`) or a number of transactions (`COUNT`) per cycle. */
export interface CardLimit {
  readonly type: LimitType
  readonly cycleType: CycleType
  /** As the wire carries it: a decimal string. */
  readonly value: string
}

/** The Set Limit page's table (reference §5.15): the cycles each kind of limit may have, per card type. */
export const allowedCycles: Record<WireCardType, Record<LimitType, ReadonlyArray<CycleType>>> = {
  VIRTUAL: {
    VOLUME: ["PER_TRANSACTION", "DAY", "MONTH", "YEAR", "LIFE_TIME"],
    COUNT: ["DAY", "MONTH", "YEAR", "LIFE_TIME"]
  },
  PHYSICAL: {
    VOLUME: ["PER_TRANSACTION"],
    COUNT: ["DAY", "MONTH", "YEAR"]
  }
}

/**
 * The card's limits with `limit` set (replacing one of the same type and cycle), or the refusal
 * naming `cardLimit.cycleType` when the table does not allow that cycle for this card.
 */
export const withLimit = (
  cardType: WireCardType,
  limits: ReadonlyArray<CardLimit>,
  limit: CardLimit
): InvalidRequest | ReadonlyArray<CardLimit> => {
  if (!allowedCycles[cardType][limit.type].includes(limit.cycleType)) {
    return new InvalidRequest({
      field: "cardLimit.cycleType",
      reason: `is not a cycle a ${cardType} card's ${limit.type} limit may have`
    })
  }
  const others = limits.filter((held) => held.type !== limit.type || held.cycleType !== limit.cycleType)
  return [...others, limit]
}
