import { Config } from "effect"

/**
 * Where a server listens, from `HOST` (127.0.0.1 by default: cardkit's servers hold card data and
 * are not meant for other hosts unless asked) and `PORT`. Not `Config.port`: 0 (any free port) is a
 * useful value here. Nest it under a prefix for the server's own names.
 */
export const address = (defaultPort: number): Config.Config<{ readonly host: string; readonly port: number }> =>
  Config.all({
    host: Config.withDefault(Config.string("HOST"), "127.0.0.1"),
    port: Config.withDefault(
      Config.validate(Config.integer("PORT"), {
        message: "must be a port number from 0 to 65535",
        validation: (port) => port >= 0 && port <= 65535
      }),
      defaultPort
    )
  })
