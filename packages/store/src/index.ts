export * from "./Store.js"
export * from "./StoreConfig.js"
