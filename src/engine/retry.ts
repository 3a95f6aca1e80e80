import { type ErrorCode, type ErrorInfo, RETRYABLE_BY_DEFAULT } from "../errors.js";
import type { RetryPolicy } from "../workflow/model.js";

/** Whether the policy retries this error (the caller's classification, then the policy's lists). */
export function isRetryable(error: ErrorInfo, policy: RetryPolicy): boolean {
  if (policy.nonRetryableErrors.includes(error.code)) return false;
  if (policy.retryableErrors.includes(error.code)) return true;
  return error.retryable;
}

/**
 * Delay before attempt `attempt + 1`, after `attempt` failed: exponential, capped, with full
 * jitter (uniform in 0..delay) so that many failing runs do not retry in lockstep. A service's
 * Retry-After is a floor.
 */
export function backoffMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number,
  error?: ErrorInfo,
): number {
  const exponential =
    policy.initialIntervalMs * policy.backoffCoefficient ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxIntervalMs, exponential);
  const delay = policy.jitter === "full" ? Math.floor(random() * capped) : capped;
  return Math.max(delay, error?.retryAfterMs ?? 0);
}

export function isDefaultRetryable(code: ErrorCode): boolean {
  return RETRYABLE_BY_DEFAULT.has(code);
}
