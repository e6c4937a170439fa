import {
  type CardLifecycle,
  type CardSecrets,
  InstrumentedCardLifecycle,
  InstrumentedCardSecrets,
  type StoreUnavailable
} from "@cardkit/domain"
import type * as SqlClient from "@effect/sql/SqlClient"
import { type ConfigError, Layer } from "effect"
import { AuditedCardLifecycle } from "./AuditedCardLifecycle.js"
import { AuditedCardSecrets } from "./AuditedCardSecrets.js"
import { type AuditTrail, SqlAuditTrail } from "./AuditTrail.js"
import * as BudgetedCardSecrets from "./BudgetedCardSecrets.js"
import type { IdempotencyStore } from "./IdempotencyStore.js"
import { type RevealBudget, SqlRevealBudget } from "./RevealBudget.js"
import type { SignablePayloadStore } from "./SignablePayloadStore.js"
import { SqlSignablePayloadStore } from "./SignablePayloadStore.js"
import { SqlIdempotencyStore } from "./SqlIdempotencyStore.js"
import { Store } from "./Store.js"
import { StoreHealth } from "./StoreHealth.js"

/** Every service the store holds, as an app (the demo, the CLI) uses them together. */
export type StoreServices = Store | IdempotencyStore | AuditTrail | RevealBudget | SignablePayloadStore | StoreHealth

/** The store's services on `store`'s database, each configured by its documented `CARDKIT_*` variables. */
export const layerOn = <E, R>(
  store: Layer.Layer<Store | SqlClient.SqlClient, E, R>
): Layer.Layer<StoreServices, E | StoreUnavailable | ConfigError.ConfigError, R> =>
  Layer.mergeAll(
    SqlIdempotencyStore.layerConfig(),
    SqlAuditTrail.layer,
    SqlRevealBudget.layerConfig(),
    SqlSignablePayloadStore.layerConfig(),
    StoreHealth.layer
  ).pipe(Layer.provideMerge(store))

/** The store's services on the database `CARDKIT_DATABASE_URL` / `CARDKIT_DATA_DIR` name. */
export const layerConfig: Layer.Layer<StoreServices, StoreUnavailable | ConfigError.ConfigError> = layerOn(
  Store.layerConfig()
)

/** The store's services on a fresh in-memory SQLite database: a test's own. */
export const layerMemory: Layer.Layer<StoreServices, StoreUnavailable | ConfigError.ConfigError> = Layer.suspend(() =>
  layerOn(Store.layerMemory)
)

/**
 * A provider's ports as an app serves them: every reveal and every write audited, and reveals
 * within their budgets. The audit goes outside the budget, so a refused reveal is on record too;
 * the tracing and counting (`Instrumented*`) outside both, so what either refuses is counted too.
 */
export const guarded: Layer.Layer<
  CardSecrets | CardLifecycle,
  never,
  CardSecrets | CardLifecycle | AuditTrail | RevealBudget
> = Layer.merge(
  InstrumentedCardSecrets.layer.pipe(
    Layer.provide(AuditedCardSecrets.layer.pipe(Layer.provide(BudgetedCardSecrets.layer)))
  ),
  InstrumentedCardLifecycle.layer.pipe(Layer.provide(AuditedCardLifecycle.layer))
)
