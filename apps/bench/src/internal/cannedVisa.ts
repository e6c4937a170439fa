import { createPublicKey } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { CompactEncrypt } from "jose"

/*
 * A minimal Visa PAV in its own process answering every request with Visa's sandbox answer for its
 * example card. With MLE the answer is encrypted once, at start, to the client's key: the server
 * must never be what a client benchmark measures.
 */
const answer = JSON.stringify({
  actionCode: "00",
  approvalCode: "12AB54",
  responseCode: "5",
  cvv2ResultCode: "M",
  addressVerificationResults: "Y",
  transactionIdentifier: "381228649430015"
})
const clientPublicKey = process.env.BENCH_MLE_CLIENT_PUBLIC_KEY
const body =
  clientPublicKey === undefined
    ? answer
    : JSON.stringify({
        encData: await new CompactEncrypt(new TextEncoder().encode(answer))
          .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A128GCM", kid: "bench-client", iat: Date.now() })
          .encrypt(createPublicKey(clientPublicKey))
      })

const server = createServer((req, res) => {
  req.resume()
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" })
    res.end(body)
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => process.send?.({ port: (server.address() as AddressInfo).port }))
process.on("disconnect", () => process.exit(0))
