/** Removes secret values from what a service returned, before anything is recorded. */
import { REDACTED } from "../engine/sensitive.js";
import type { CallResult } from "../ports/service-caller.js";

export { REDACTED };

function scrub(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") {
    let text = value;
    for (const secret of secrets) if (secret !== "") text = text.split(secret).join(REDACTED);
    return text;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets)]));
  }
  return value;
}

export function redactResult(result: CallResult, secrets: readonly string[]): CallResult {
  if (result.ok) return { ok: true, output: scrub(result.output, secrets) };
  const error = result.error;
  return {
    ok: false,
    error: {
      ...error,
      message: scrub(error.message, secrets) as string,
      ...(error.details !== undefined && { details: scrub(error.details, secrets) }),
    },
  };
}
