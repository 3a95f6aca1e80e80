/**
 * Errors of the run operations as Connect errors: a problem's HTTP status picks the code;
 * the control path's not-found and failed-precondition errors keep theirs. Each error carries a Problem
 * detail with the HTTP API's stable code and the field at fault, and the problem's headers
 * (Retry-After) as metadata. Anything else is logged and answered as `internal`, without
 * its message, as the HTTP API does.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { MaestroError } from "../errors.js";
import { ProblemSchema } from "../gen/maestro/v1/runs_pb.js";
import type { Logger } from "../ports/logger.js";
import { MissingRunError } from "../runtime/run-context.js";
import { ProblemError } from "./problem.js";

const BY_STATUS: Readonly<Record<number, Code>> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  409: Code.FailedPrecondition,
  413: Code.ResourceExhausted,
  422: Code.InvalidArgument,
  429: Code.ResourceExhausted,
  501: Code.Unimplemented,
  503: Code.Unavailable,
};

function withProblem(message: string, code: Code, problem: string, field = "", headers = {}) {
  return new ConnectError(message, code, headers, [
    { desc: ProblemSchema, value: { code: problem, field } },
  ]);
}

export function toConnectError(error: unknown, logger: Logger, method: string): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof ProblemError) {
    const p = error.problem;
    // A reused idempotency key is a 422 like bad input, but it is a conflict, not bad input.
    const code =
      p.code === "idempotency_key_reused"
        ? Code.FailedPrecondition
        : (BY_STATUS[p.status] ?? Code.Internal);
    return withProblem(
      p.detail,
      code,
      p.code,
      p.field,
      Object.fromEntries(Object.entries(error.headers).map(([k, v]) => [k.toLowerCase(), v])),
    );
  }
  if (error instanceof MissingRunError)
    return withProblem(error.message, Code.NotFound, "not_found");
  // The same two the HTTP API answers as 409 "conflict" and 404 "not_found".
  if (error instanceof MaestroError && error.code === "failed_precondition") {
    return withProblem(error.message, Code.FailedPrecondition, "conflict");
  }
  if (error instanceof MaestroError && error.code === "not_found") {
    return withProblem(error.message, Code.NotFound, "not_found");
  }
  logger.error("request failed", { method, error: (error as Error).message });
  return withProblem("internal error", Code.Internal, "internal");
}
