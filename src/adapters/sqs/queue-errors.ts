/**
 * Turns what the SQS SDK throws into Maestro's errors, so nothing above the adapter sees an SDK
 * exception type. Throttling, 5xx and network errors arrive here after the SDK's own retries.
 */
import { MaestroError } from "../../errors.js";

interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $fault?: "client" | "server";
}

export function queueError(error: unknown, action: string): MaestroError {
  if (error instanceof MaestroError) return error;
  const { name = "Error", message = String(error), $fault } = (error ?? {}) as SdkErrorShape;
  const text = `SQS: ${action} failed: ${name}: ${message}`;
  switch (name) {
    case "QueueDoesNotExist":
    case "AWS.SimpleQueueService.NonExistentQueue":
      return new MaestroError("failed_precondition", text, { retryable: false, cause: error });
    case "AccessDeniedException":
    case "AccessDenied":
      return new MaestroError("permission_denied", text, { retryable: false, cause: error });
    default:
      if ($fault === "client" && !/Throttl|OverLimit|RequestThrottled/.test(name)) {
        return new MaestroError("internal", text, { retryable: false, cause: error });
      }
      return new MaestroError("unavailable", text, { cause: error });
  }
}

/** Whether an ack's error only says the receipt is unknown or expired, which the port allows. */
export function isStaleReceipt(error: unknown): boolean {
  const { name = "", message = "" } = (error ?? {}) as SdkErrorShape;
  return (
    name === "ReceiptHandleIsInvalid" ||
    name === "MessageNotInflight" ||
    (name === "InvalidParameterValue" && /receipt handle/i.test(message))
  );
}
