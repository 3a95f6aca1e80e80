/**
 * The body of `POST /v1/runs/{id}/redrive` and how a refused redrive reads as a problem.
 * The body is optional: `{}` or nothing redrives the run on the version it is on.
 */
import type { Context } from "hono";
import { type RedriveRefusal, RedriveRefusedError } from "../engine/redrive.js";
import type { RedriveRunOptions } from "../runtime/run-control.js";
import { subjectOf } from "./auth.js";
import { type ProblemError, problem } from "./problem.js";

const MAX_TEXT = 500;

/** The fields the body may have (the OpenAPI document lists the same). */
export const REDRIVE_FIELDS = ["version", "reason", "by"] as const;

function text(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "" || value.length > MAX_TEXT) {
    throw problem(
      400,
      "invalid_field",
      `${field} must be a string of 1 to ${MAX_TEXT} characters`,
      field,
    );
  }
  return value;
}

/**
 * Reads `{version?, reason?, by?}`. With authentication on, who asked is the token's
 * subject, and a `by` in the body is refused rather than recorded beside it.
 */
export async function parseRedrive(c: Context): Promise<RedriveRunOptions> {
  const raw = await c.req.text();
  let body: unknown = {};
  if (raw.trim() !== "") {
    try {
      body = JSON.parse(raw);
    } catch {
      throw problem(400, "invalid_json", "the body is not JSON");
    }
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw problem(400, "invalid_body", "the body must be a JSON object {version?, reason?, by?}");
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).find(
    (k) => !(REDRIVE_FIELDS as readonly string[]).includes(k),
  );
  if (unknown !== undefined)
    throw problem(400, "unknown_field", `unknown field "${unknown}"`, unknown);
  const version = text(fields, "version");
  const reason = text(fields, "reason");
  const named = text(fields, "by");
  const subject = subjectOf(c);
  if (subject !== undefined && named !== undefined && named !== subject) {
    throw problem(400, "invalid_field", "by is the token's subject when a token is used", "by");
  }
  const by = subject ?? named;
  return {
    ...(version !== undefined && { version }),
    ...(reason !== undefined && { reason }),
    ...(by !== undefined && { by }),
  };
}

const PROBLEMS: Record<RedriveRefusal, { status: 404 | 409 | 422; code: string; field?: string }> =
  {
    status: { status: 409, code: "not_redrivable" },
    unknown_version: { status: 404, code: "workflow_not_found", field: "version" },
    not_newer: { status: 422, code: "version_not_newer", field: "version" },
    does_not_map: { status: 422, code: "version_does_not_map", field: "version" },
  };

/** The problem a refused redrive answers with; other errors are left to the app. */
export function redriveProblem(error: unknown): ProblemError | undefined {
  if (!(error instanceof RedriveRefusedError)) return undefined;
  const p = PROBLEMS[error.refusal];
  return problem(p.status, p.code, error.message, p.field);
}
