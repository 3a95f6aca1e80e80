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
  /**
   * @param headers response headers that go with the problem (`Retry-After`); the Connect
   *   service sends them as error metadata.
   */
  constructor(
    readonly problem: Problem,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(problem.detail);
  }
}

export const problem = (
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  field?: string,
) => new ProblemError({ status, code, detail, ...(field !== undefined && { field }) });

export function sendProblem(
  c: Context,
  p: Problem,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return c.body(JSON.stringify({ type: "about:blank", title: p.code, ...p }), p.status, {
    ...headers,
    "content-type": "application/problem+json",
  });
}
