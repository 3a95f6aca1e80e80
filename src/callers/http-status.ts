/** How an HTTP response status maps onto Maestro's error codes, and when to try again. */
import type { ErrorCode } from "../errors.js";

export interface StatusClass {
  readonly code: ErrorCode;
  readonly retryable: boolean;
}

/** 4xx statuses with a more precise code than the `failed_precondition` the rest get. */
const CLIENT_ERRORS: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [400, "invalid_argument"],
  [401, "unauthenticated"],
  [403, "permission_denied"],
  [404, "not_found"],
  [405, "unimplemented"],
  [409, "already_exists"],
  [410, "not_found"],
  [412, "failed_precondition"],
  [413, "payload_too_large"],
  [416, "out_of_range"],
  [422, "failed_precondition"],
]);

/** 5xx statuses with a more precise code than the `internal` the rest get. */
const SERVER_ERRORS: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [501, "unimplemented"],
  [502, "unavailable"],
  [503, "unavailable"],
  [504, "deadline_exceeded"],
]);

/**
 * Classifies a non-2xx status. Retryability is set here, explicitly, rather than left to
 * `RETRYABLE_BY_DEFAULT`: every 5xx is worth another attempt (a 501 may come from a half-rolled
 * deployment), a 4xx other than 408/429 is the request's fault and never is.
 */
export function classifyStatus(status: number): StatusClass {
  if (status === 408) return { code: "deadline_exceeded", retryable: true };
  if (status === 429) return { code: "resource_exhausted", retryable: true };
  if (status >= 500 && status <= 599) {
    return { code: SERVER_ERRORS.get(status) ?? "internal", retryable: true };
  }
  if (status >= 400 && status <= 499) {
    return { code: CLIENT_ERRORS.get(status) ?? "failed_precondition", retryable: false };
  }
  // 3xx (redirects are not followed) and anything non-standard: the call did not do its job,
  // and repeating it will not change that.
  return {
    code: status >= 300 && status <= 399 ? "failed_precondition" : "unknown",
    retryable: false,
  };
}

/**
 * Reads `Retry-After` as milliseconds from now: either delay-seconds or an HTTP date (a date in
 * the past means "now", 0). Undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only dates that name a weekday or month; Date.parse would also accept things like "12".
  if (!/[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
