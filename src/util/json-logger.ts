/**
 * A structured logger: one JSON object per line (level, time, message, fields), in the
 * shape log tooling and the Lambda Powertools conventions expect.
 */
import type { Logger } from "../ports/logger.js";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface JsonLoggerOptions {
  readonly level?: LogLevel;
  readonly write?: (line: string) => void;
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly now?: () => number;
}

export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = LEVELS[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const base = options.fields ?? {};
  const emit = (level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>) => {
    if (LEVELS[level] < threshold) return;
    write(
      JSON.stringify({ level, time: new Date(now()).toISOString(), message, ...base, ...fields }),
    );
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createJsonLogger({ ...options, fields: { ...base, ...fields } }),
  };
}
