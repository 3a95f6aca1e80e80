/**
 * Turns what the DynamoDB SDK throws into Maestro's errors, so nothing above the adapter sees
 * an SDK exception type. Conditional-check failures are not handled here: each write knows
 * what its condition meant and raises the domain error itself (AppendConflictError, …).
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { AppendConflictError, MaestroError, PayloadTooLargeError } from "../../errors.js";

/** The fields of an SDK service exception that the translation reads. */
interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $fault?: "client" | "server";
}

/**
 * The Maestro error for a failed SDK call. By the time an error gets here the SDK has already
 * retried throttling, 5xx and network errors with backoff, so those become a retryable
 * `unavailable`; configuration mistakes (missing table, denied access) are terminal.
 */
export function storeError(error: unknown, action: string): Error {
  if (error instanceof MaestroError || error instanceof AppendConflictError) return error;
  const { name = "Error", message = String(error), $fault } = (error ?? {}) as SdkErrorShape;
  const text = `DynamoDB: ${action} failed: ${name}: ${message}`;
  switch (name) {
    case "ResourceNotFoundException":
      return new MaestroError("failed_precondition", text, { retryable: false, cause: error });
    case "AccessDeniedException":
    case "UnrecognizedClientException":
      return new MaestroError("permission_denied", text, { retryable: false, cause: error });
    case "TransactionConflictException":
      // A write met an item that a concurrent transaction holds; trying again will pass.
      return new MaestroError("aborted", text, { cause: error });
    case "ValidationException":
      // The size check before each write should make this unreachable; kept as a safety net.
      if (/item size|maximum allowed size/i.test(message)) {
        return new PayloadTooLargeError(text);
      }
      return new MaestroError("invalid_argument", text, { retryable: false, cause: error });
    default:
      // Throttling, 5xx and network errors (after the SDK's retries) and anything unexpected
      // from the server side; an unknown client fault is a bug here, retrying will not help.
      if ($fault === "client" && !isThrottling(name)) {
        return new MaestroError("internal", text, { retryable: false, cause: error });
      }
      return new MaestroError("unavailable", text, { cause: error });
  }
}

function isThrottling(name: string): boolean {
  return /Throughput|Throttl|LimitExceeded|TooManyRequests/.test(name);
}

/** Whether an SDK error is of the given exception type, without importing the class. */
export function isSdkError(error: unknown, name: string): boolean {
  return typeof error === "object" && error !== null && (error as SdkErrorShape).name === name;
}

export interface CancellationReason {
  readonly Code?: string;
  /** The item as it was, for a failed condition with `ReturnValuesOnConditionCheckFailure`. */
  readonly Item?: Record<string, AttributeValue>;
}

/** The per-item reasons of a cancelled transaction, or undefined for any other error. */
export function cancellationReasons(error: unknown): readonly CancellationReason[] | undefined {
  if (!isSdkError(error, "TransactionCanceledException")) return undefined;
  return (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
}
