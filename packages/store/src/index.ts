export * from "./Store.js"
export * from "./StoreConfig.js"
export * from "./RevealBudget.js"
/** The `CardSecrets` in context behind the reveal budgets (`layer` decorates it). */
export * as BudgetedCardSecrets from "./BudgetedCardSecrets.js"
