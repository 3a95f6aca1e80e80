/** Removes secret values from what a service returned, before anything is recorded. */
import { REDACTED, type SensitiveRedactor } from "../engine/sensitive.js";
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

/**
 * `error` with the run's sensitive values masked in its message and stack, for an error
 * about to leave the run for a log line or a queue's dead letter. The same object is
 * returned (its class and code still tell callers whether to retry).
 */
export function scrubError(error: unknown, redactor: SensitiveRedactor): unknown {
  if (!(error instanceof Error) || redactor.values().length === 0) return error;
  const message = redactor.scrub(error.message);
  if (message !== error.message) {
    error.message = message;
    if (error.stack !== undefined) error.stack = redactor.scrub(error.stack);
  }
  return error;
}
