import { maskPans, scrubCardData } from "@cardkit/domain"
import type { Attributes, AttributeValue } from "@opentelemetry/api"
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace-base"

/*
 * How each part of a span or a metric point is scrubbed (`CardDataScrubbing` says why): every run of
 * digits that could be a PAN masked, and in error text every run that could be a CVV cut out. Shared
 * by the metrics' producer and the spans' conversion for export (`spanRecord.ts`).
 */

const scrubValue = (value: AttributeValue | undefined, scrub: (text: string) => string = maskPans) => {
  if (typeof value === "string") return scrub(value)
  if (Array.isArray(value))
    return value.map((item) => (typeof item === "string" ? scrub(item) : item)) as AttributeValue
  return value
}

export const scrubAttributes = (attributes: Attributes): Attributes => {
  const scrubbed: Attributes = {}
  for (const key in attributes) scrubbed[key] = scrubValue(attributes[key])
  return scrubbed
}

/** An error's text: a message or stack may quote what was sent, card data included. */
const errorText = (key: string): boolean => key.startsWith("exception.")

const scrubEventAttributes = (attributes: Attributes): Attributes => {
  const scrubbed: Attributes = {}
  for (const key in attributes) {
    scrubbed[key] = scrubValue(attributes[key], errorText(key) ? scrubCardData : maskPans)
  }
  return scrubbed
}

export const scrubEvent = (event: TimedEvent): TimedEvent => ({
  ...event,
  name: maskPans(event.name),
  ...(event.attributes === undefined ? {} : { attributes: scrubEventAttributes(event.attributes) })
})

export const scrubStatus = (status: ReadableSpan["status"]): ReadableSpan["status"] =>
  status.message === undefined ? status : { code: status.code, message: scrubCardData(status.message) }
