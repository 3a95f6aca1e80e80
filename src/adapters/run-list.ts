/**
 * What every saga log's `list` shares: the page size rule, the order (newest first, ties by
 * run id descending) and the cursor. The cursor is the position of a page's last run rather
 * than an offset, so runs created while a caller pages do not shift later pages.
 */
import { MaestroError } from "../errors.js";
import type { RunHeader, RunQuery } from "../ports/saga-log.js";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

export interface Position {
  readonly createdAt: number;
  readonly runId: string;
}

export function clampLimit(limit: RunQuery["limit"]): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

/** Newest first, ties broken by runId descending. */
export function compareHeaders(a: Position, b: Position): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0;
}

export function encodeCursor(header: Position | RunHeader): string {
  const position: Position = { createdAt: header.createdAt, runId: header.runId };
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

export function decodeCursor(cursor: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (isPosition(value)) return value;
  } catch {
    // Fall through to the invalid_argument error below.
  }
  throw new MaestroError("invalid_argument", `invalid run list cursor: ${cursor}`);
}

function isPosition(value: unknown): value is Position {
  if (typeof value !== "object" || value === null) return false;
  const { createdAt, runId } = value as Record<string, unknown>;
  return typeof createdAt === "number" && typeof runId === "string";
}
