/**
 * One error base for everything Maestro raises. Each error carries a code from a closed
 * union and says whether retrying could help, so callers never parse messages.
 */

/** Why a service call or a step failed. Canonical gRPC/Connect codes, snake_case, plus Maestro's own. */
export const ERROR_CODES = [
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
  // Maestro's own:
  "template_error",
  "invalid_response",
  "payload_too_large",
  "circuit_open",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes retried by default; every other code is terminal (the step fails, the run compensates). */
export const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "unknown",
  "deadline_exceeded",
  "resource_exhausted",
  "aborted",
  "internal",
  "unavailable",
  "circuit_open",
]);

/** The serialisable description of a failure, as stored in the saga log. */
export interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
  /** Whether another attempt could succeed. Set by whoever classified the failure. */
  readonly retryable: boolean;
  /** HTTP status, when the failure came from an HTTP response. */
  readonly status?: number;
  /** The service's hint for when to try again (HTTP `Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number;
  /** Extra structured details (e.g. a service's error body, Connect error details). */
  readonly details?: unknown;
}

export class MaestroError extends Error {
  override readonly name: string = "MaestroError";
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly details?: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      retryable?: boolean;
      status?: number;
      retryAfterMs?: number;
      details?: unknown;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.details !== undefined) this.details = options.details;
  }

  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.status !== undefined && { status: this.status }),
      ...(this.retryAfterMs !== undefined && { retryAfterMs: this.retryAfterMs }),
      ...(this.details !== undefined && { details: this.details }),
    };
  }

  /** Turns anything caught into a MaestroError, keeping the original as `cause`. */
  static from(error: unknown): MaestroError {
    if (error instanceof MaestroError) return error;
    if (error instanceof Error && error.name === "AbortError") {
      return new MaestroError("deadline_exceeded", error.message, { cause: error });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new MaestroError("unknown", message, { cause: error });
  }
}

/** Raised by a saga log when another writer appended first. Carries what the log holds now. */
export class AppendConflictError extends Error {
  override readonly name = "AppendConflictError";
  constructor(
    readonly runId: string,
    readonly expectedSeq: number,
    readonly actualSeq: number | undefined,
  ) {
    super(
      `saga log of run ${runId} moved: expected head ${expectedSeq}, found ${actualSeq ?? "unknown"}`,
    );
  }
}

/** Raised when a stored item would exceed the store's size limit. Never retried. */
export class PayloadTooLargeError extends MaestroError {
  override readonly name = "PayloadTooLargeError";
  constructor(message: string, details?: unknown) {
    super("payload_too_large", message, { retryable: false, details });
  }
}
