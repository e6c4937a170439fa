import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { CardSecrets, decodeInput, GetCvvRequest } from "@cardkit/domain"
import { FakeProvider } from "@cardkit/fake"
import { Effect, Either, ManagedRuntime, Redacted } from "effect"

/*
 * The baseline for the demo's CVV route: a bare node:http handler doing the same work — check the
 * key, decode the body, call the same fake, answer the same JSON — with nothing else.
 */
const runtime = ManagedRuntime.make(FakeProvider.layer())
const secrets = await runtime.runPromise(CardSecrets)
const decode = decodeInput(GetCvvRequest)

const server = createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (c: Buffer) => chunks.push(c))
  req.on("end", () => {
    if (req.headers["x-api-key"] !== "bench-key") {
      res.writeHead(401).end()
      return
    }
    const cardId = req.url?.split("/")[3]
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
    runtime.runPromise(Effect.either(Effect.flatMap(decode({ ...body, cardId }), secrets.getCvv))).then((result) => {
      if (Either.isLeft(result)) {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: result.left._tag }))
        return
      }
      const card = result.right
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(
        JSON.stringify({
          cardId: card.cardId,
          cvv: Redacted.value(card.cvv),
          card: card.flags,
          reference: card.ack.reference
        })
      )
    })
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => process.send?.({ port: (server.address() as AddressInfo).port }))
process.on("disconnect", () => process.exit(0))
