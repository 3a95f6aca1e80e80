/** Compiles the written retry, breaker and rate-limit settings into the model's types, defaults applied. */
import { parseDuration } from "./duration.js";
import type { CircuitBreakerSettings, RateLimitSettings, RetryPolicy } from "./model.js";
import type { RawRetryPolicy, RawService } from "./schema.js";

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
export const DEFAULT_RUN_TIMEOUT_MS = 24 * 3_600_000;
export const DEFAULT_COMPENSATION_ATTEMPTS = 10;

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 3,
  initialIntervalMs: 200,
  backoffCoefficient: 2,
  maxIntervalMs: 30_000,
  jitter: "full",
  retryableErrors: [],
  nonRetryableErrors: [],
};

/** Shape-checked durations always parse; this only narrows the type. */
export function ms(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : (parseDuration(text) ?? fallback);
}

/** Applies `raw` on top of `base`, field by field. */
export function compileRetry(raw: RawRetryPolicy | undefined, base: RetryPolicy): RetryPolicy {
  if (!raw) return base;
  return {
    maxAttempts: raw.max_attempts ?? base.maxAttempts,
    initialIntervalMs: ms(raw.initial_interval, base.initialIntervalMs),
    backoffCoefficient: raw.backoff_coefficient ?? base.backoffCoefficient,
    maxIntervalMs: ms(raw.max_interval, base.maxIntervalMs),
    jitter: raw.jitter ?? base.jitter,
    retryableErrors: raw.retryable_errors ?? base.retryableErrors,
    nonRetryableErrors: raw.non_retryable_errors ?? base.nonRetryableErrors,
  };
}

export function compileCircuitBreaker(
  raw: RawService["circuit_breaker"],
): CircuitBreakerSettings | undefined {
  if (!raw) return undefined;
  return {
    failureThreshold: raw.failure_threshold ?? 5,
    ...(raw.failure_rate !== undefined && { failureRate: raw.failure_rate }),
    windowMs: ms(raw.window, 60_000),
    minimumCalls: raw.minimum_calls ?? 10,
    openDurationMs: ms(raw.open_duration, 30_000),
    halfOpenCalls: raw.half_open_calls ?? 1,
  };
}

const PER_SECOND = { s: 1, m: 1 / 60, h: 1 / 3600 } as const;

export function compileRateLimit(raw: RawService["rate_limit"]): RateLimitSettings | undefined {
  if (!raw) return undefined;
  const [amount, unit] = raw.rate.split("/") as [string, keyof typeof PER_SECOND];
  const perSecond = Number(amount) * PER_SECOND[unit];
  return { perSecond, burst: raw.burst ?? Math.max(1, Math.ceil(perSecond)) };
}
