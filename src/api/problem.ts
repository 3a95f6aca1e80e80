/**
 * Errors as RFC 9457 problem details (`application/problem+json`): a stable `code`, a
 * human `detail`, and the field at fault when there is one.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface Problem {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly detail: string;
  readonly field?: string;
}

export class ProblemError extends Error {
  override readonly name = "ProblemError";
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

export const problem = (
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  field?: string,
) => new ProblemError({ status, code, detail, ...(field !== undefined && { field }) });

export function sendProblem(c: Context, p: Problem): Response {
  return c.body(JSON.stringify({ type: "about:blank", title: p.code, ...p }), p.status, {
    "content-type": "application/problem+json",
  });
}
