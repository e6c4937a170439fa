import { userInfo } from "node:os"
import type { CardLifecycle, CardSecrets } from "@cardkit/domain"
import { Providers } from "@cardkit/demo"
import { type Actor, StoreServices, withActor } from "@cardkit/store"
import { Effect, Layer } from "effect"

/*
 * The CLI's reveals and writes go through the store as the demo's do (`StoreServices.guarded`):
 * audited, and reveals within their budgets. Only the commands that reveal or write import this
 * module, so `--help`, `validate` and the `card` reads never load the store's drivers.
 */

// `userInfo` throws when the process's uid has no entry in the user database (a bare container).
const userName = (): string => {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? String(process.getuid?.() ?? "unknown")
  }
}

/** Who acts, for the audit trail: the shell's user, with no request and no remote address. */
export const cliActor = (): Actor => ({ apiKeyId: `cli:${userName()}`, clientAddress: "local" })

/**
 * `effect` on the provider `name`'s ports, guarded, on the store the store settings name, run as the
 * CLI's user. Both ports are loaded because the guard decorates both; they share the provider's one
 * client (the ledger's) or one issuer (the fake's), so neither needs settings the other does not.
 */
export const guarded = <A, E>(name: Providers.Name, effect: Effect.Effect<A, E, CardSecrets | CardLifecycle>) =>
  Effect.flatMap(
    Effect.promise(() => Providers.load(name, ["cardSecrets", "cardLifecycle"])),
    (provider) =>
      effect.pipe(
        withActor(cliActor()),
        Effect.provide(StoreServices.guarded.pipe(Layer.provide(Layer.merge(provider, StoreServices.layerConfig))))
      )
  )
