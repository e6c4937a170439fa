import type { AccountValidation, CardSecrets } from "@cardkit/domain"
import { LedgerCardSecrets } from "@cardkit/ledger"
import { VisaAccountValidation } from "@cardkit/visa-pav"
import { type ConfigError, Layer } from "effect"

/** The live transports, each configured from its own `CARDKIT_LEDGER_*` / `CARDKIT_VISA_*` variables. */
export const liveProvider: Layer.Layer<CardSecrets | AccountValidation, ConfigError.ConfigError> = Layer.merge(
  LedgerCardSecrets.layerConfig(),
  VisaAccountValidation.layerConfig()
)
