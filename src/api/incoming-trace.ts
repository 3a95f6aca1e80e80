/** The W3C trace context a request carries, for the run it starts to become its child. */
import type { RunTrace } from "../engine/events.js";

/** `{ trace }` from the `traceparent` / `tracestate` headers, or `{}` without them. */
export function traceOf(headers: Headers): { trace?: RunTrace } {
  const traceparent = headers.get("traceparent");
  const tracestate = headers.get("tracestate");
  return traceparent === null
    ? {}
    : { trace: { traceparent, ...(tracestate !== null && { tracestate }) } };
}
