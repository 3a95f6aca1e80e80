/** Human-friendly progress on a terminal: one line per call, instead of JSON. */
import type { Logger } from "../ports/logger.js";

type Fields = Readonly<Record<string, unknown>>;

export function createProgressLogger(write: (text: string) => void, base: Fields = {}): Logger {
  const line = (symbol: string, message: string, fields: Fields) => {
    const f = { ...base, ...fields };
    const what =
      f.stepId === undefined ? "" : `${f.kind === "compensate" ? "undo " : ""}${String(f.stepId)}`;
    const attempt = typeof f.attempt === "number" && f.attempt > 1 ? ` (attempt ${f.attempt})` : "";
    const took = typeof f.durationMs === "number" ? ` ${f.durationMs}ms` : "";
    const error = (f.error as { message?: string } | undefined)?.message;
    const status = typeof f.status === "string" ? ` ${f.status}` : "";
    write(
      `${symbol} ${what ? `${what}${attempt}: ` : ""}${message}${status}${took}${error ? ` — ${error}` : ""}\n`,
    );
  };
  return {
    debug() {},
    info: (m, f = {}) => line("✓", m, f),
    warn: (m, f = {}) => line("!", m, f),
    error: (m, f = {}) => line("✗", m, f),
    child: (fields) => createProgressLogger(write, { ...base, ...fields }),
  };
}
