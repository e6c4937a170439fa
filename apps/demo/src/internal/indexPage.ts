/*
 * The demo's page: two forms and a card panel that call the API with fetch. No framework and nothing from another
 * origin. The CVV is fetched only when asked for, kept only in the DOM (never in the URL, history or
 * storage) and cleared with "Hide".
 */
export const indexPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cardkit demo</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1d232a; }
  h1 { font-size: 1.5rem; margin-bottom: .25rem; }
  section { border: 1px solid #d0d7de; border-radius: 8px; padding: 1rem 1.25rem; margin: 1.25rem 0; }
  h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
  label { display: grid; grid-template-columns: 11rem 1fr; gap: .5rem; align-items: center; margin: .35rem 0; }
  input, select { font: inherit; padding: .3rem .45rem; border: 1px solid #afb8c1; border-radius: 5px; }
  button { font: inherit; padding: .35rem .9rem; border-radius: 5px; border: 1px solid #1f6feb; background: #1f6feb; color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: #1f6feb; }
  .result { margin-top: .75rem; min-height: 1.5rem; }
  .cvv { font: 600 1.6rem ui-monospace, monospace; letter-spacing: .15em; }
  .error { color: #b42318; }
  .approved { color: #1a7f37; font-weight: 600; }
  .declined { color: #b42318; font-weight: 600; }
  dl { display: grid; grid-template-columns: 11rem 1fr; margin: .5rem 0 0; }
  dt { color: #57606a; }
  dd { margin: 0; font-family: ui-monospace, monospace; }
</style>
</head>
<body>
<h1>cardkit demo</h1>
<p>Reveal a card's CVV, see a card's status and lock, unlock or report it lost, and validate a payment account
through the cardkit API (<a href="/docs">API reference</a>,
<a href="/openapi.json">OpenAPI</a>). The fields hold the source documents' example cards.</p>

<section>
  <label>API key <input id="api-key" type="password" autocomplete="off" placeholder="printed at start as API key: …"></label>
</section>

<section>
  <h2>Reveal CVV</h2>
  <form id="reveal-form">
    <label>Card id <input name="cardId" required value="025951734ff74c13a14137e02834fa00" autocomplete="off"></label>
    <label>Customer id <input name="customerId" required value="100000000006001" autocomplete="off"></label>
    <label>Account number <input name="accountNumber" required value="400320588344662" autocomplete="off"></label>
    <label>Reference <input name="reference" value="" placeholder="optional" autocomplete="off"></label>
    <button type="submit">Reveal CVV</button>
  </form>
  <div class="result" id="reveal-result" aria-live="polite"></div>
</section>

<section>
  <h2>Card</h2>
  <form id="card-form">
    <label>Card id <input name="cardId" required value="025951734ff74c13a14137e02834fa00" autocomplete="off"></label>
    <label>Customer id <input name="customerId" required value="100000000006001" autocomplete="off"></label>
    <label>Account number <input name="accountNumber" required value="400320588344662" autocomplete="off"></label>
    <button type="submit" id="card-load">Show status</button>
    <button type="button" class="secondary" id="card-lock" data-action="lock">Lock</button>
    <button type="button" class="secondary" id="card-unlock" data-action="unlock">Unlock</button>
    <button type="button" class="secondary" id="card-report-lost" data-action="report-lost">Report lost</button>
  </form>
  <div class="result" id="card-result" aria-live="polite"></div>
</section>

<section>
  <h2>Validate account</h2>
  <form id="validate-form">
    <label>Card number (PAN) <input name="pan" required inputmode="numeric" value="4957030420210462" autocomplete="off"></label>
    <label>Expiry (YYYY-MM) <input name="expiry" value="2040-10" autocomplete="off"></label>
    <label>CVV2 <input name="cvv2" type="password" inputmode="numeric" value="022" autocomplete="off"></label>
    <label>Street <input name="street" value="801 Metro Center Blv" autocomplete="off"></label>
    <label>Postal code <input name="postalCode" value="94404" autocomplete="off"></label>
    <label>Cardholder last name <input name="last" value="" placeholder="optional" autocomplete="off"></label>
    <button type="submit">Validate</button>
  </form>
  <div class="result" id="validation-result" aria-live="polite"></div>
</section>

<script>
"use strict"
const apiKey = document.getElementById("api-key")

async function call(path, init) {
  const response = await fetch(path, init)
  const json = await response.json().catch(() => null)
  if (!response.ok) {
    throw new Error(json && json.error ? json.error.code + ": " + json.error.message : "HTTP " + response.status)
  }
  return json
}

function post(path, body, headers) {
  return call(path, {
    method: "POST",
    cache: "no-store",
    headers: { "content-type": "application/json", "x-api-key": apiKey.value.trim(), ...headers },
    body: JSON.stringify(body)
  })
}

function get(path) {
  return call(path, { cache: "no-store", headers: { "x-api-key": apiKey.value.trim() } })
}

function fields(form) {
  const out = {}
  for (const [name, value] of new FormData(form)) if (String(value).trim() !== "") out[name] = String(value).trim()
  return out
}

function show(target, ...nodes) { target.replaceChildren(...nodes) }
function el(tag, props, ...children) { const node = Object.assign(document.createElement(tag), props); node.append(...children); return node }
function failure(target, error) { show(target, el("p", { className: "error" }, error.message)) }

const revealForm = document.getElementById("reveal-form")
const revealResult = document.getElementById("reveal-result")
revealForm.addEventListener("submit", async (event) => {
  event.preventDefault()
  const { cardId, ...body } = fields(revealForm)
  show(revealResult, "…")
  try {
    const answer = await post("/v1/cards/" + encodeURIComponent(cardId) + "/cvv", body)
    const hide = el("button", { type: "button", className: "secondary", textContent: "Hide" })
    hide.addEventListener("click", () => show(revealResult))
    show(revealResult, el("span", { id: "cvv-value", className: "cvv" }, answer.cvv), " ", hide,
      el("p", {}, "Card " + answer.cardId + " · reference " + answer.reference))
  } catch (error) { failure(revealResult, error) }
})

const cardForm = document.getElementById("card-form")
const cardResult = document.getElementById("card-result")
function showCard(card) {
  const rows = [["status", card.status], ["provider's status", card.rawStatus], ["type", card.type],
    ["card number", "•••• " + card.last4], ["expiry", card.expiry]]
  show(cardResult, el("dl", {}, ...rows.flatMap(([name, value]) =>
    [el("dt", {}, name), el("dd", name === "status" ? { id: "card-status" } : {}, String(value))])))
}
function cardPath() {
  const { cardId, customerId, accountNumber } = fields(cardForm)
  return { path: "/v1/cards/" + encodeURIComponent(cardId), account: { customerId, accountNumber } }
}
cardForm.addEventListener("submit", async (event) => {
  event.preventDefault()
  const { path, account } = cardPath()
  show(cardResult, "…")
  try { showCard(await get(path + "?" + new URLSearchParams(account))) } catch (error) { failure(cardResult, error) }
})
for (const button of cardForm.querySelectorAll("button[data-action]")) {
  button.addEventListener("click", async () => {
    const { path, account } = cardPath()
    show(cardResult, "…")
    // One key per click: a retried request (the network failed) would not lock twice.
    try { showCard(await post(path + "/" + button.dataset.action, account, { "idempotency-key": crypto.randomUUID() })) }
    catch (error) { failure(cardResult, error) }
  })
}

const validateForm = document.getElementById("validate-form")
const validationResult = document.getElementById("validation-result")
validateForm.addEventListener("submit", async (event) => {
  event.preventDefault()
  const { pan, expiry, cvv2, street, postalCode, last } = fields(validateForm)
  const body = { pan }
  if (expiry) body.expiry = expiry
  if (cvv2) body.cvv2 = cvv2
  if (postalCode) body.billingAddress = street ? { street, postalCode } : { postalCode }
  if (last) body.cardholderName = { last }
  show(validationResult, "…")
  try {
    const answer = await post("/v1/account-validations", body)
    const rows = [["action code", answer.actionCode], ["CVV2", answer.cvv2], ["address", answer.address]]
    if (answer.name) rows.push(["name", answer.name])
    rows.push(["transaction id", answer.transactionId])
    show(validationResult,
      el("p", { id: "verdict", className: answer.approved ? "approved" : "declined" }, answer.approved ? "Approved" : "Declined"),
      el("dl", {}, ...rows.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, String(value))])))
  } catch (error) { failure(validationResult, error) }
})
</script>
</body>
</html>
`
