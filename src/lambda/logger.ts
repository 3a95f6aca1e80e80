/**
 * The Lambda functions' logger: one JSON line per entry in the Powertools logger's shape
 * (`level`, `message`, `timestamp`, `service`, `sampling_rate`, `xray_trace_id`, then the
 * fields), so the Powertools log queries and dashboards work on Maestro's logs. Written here
 * rather than taken from `@aws-lambda-powertools/logger`: the shape is all we used, and the
 * library cost every bundle ~20 KB of the 500 KB budget.
 *
 * Settings are Powertools' own: `POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_LOG_LEVEL` (else
 * `AWS_LAMBDA_LOG_LEVEL`, else INFO). The X-Ray trace id is read per line from
 * `_X_AMZN_TRACE_ID`, which Lambda sets for each invocation.
 */
import type { Logger } from "../ports/logger.js";

const LEVELS = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 } as const;
type Level = keyof typeof LEVELS;

export interface LambdaLoggerOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly write?: (line: string) => void;
  readonly now?: () => number;
}

function levelOf(env: Readonly<Record<string, string | undefined>>): Level {
  const named = (env.POWERTOOLS_LOG_LEVEL ?? env.AWS_LAMBDA_LOG_LEVEL ?? "INFO").toUpperCase();
  if (named === "WARNING") return "WARN";
  return named in LEVELS ? (named as Level) : "INFO";
}

/** An Error as Powertools writes one; other values unchanged. */
function plain(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return {
    name: value.name,
    message: value.message,
    ...(value.stack !== undefined && { stack: value.stack }),
    ...("code" in value && { code: value.code }),
  };
}

/** `Root=1-…;Parent=…;Sampled=1` → `1-…`, as Powertools reports it. */
function xrayTraceId(header: string | undefined): string | undefined {
  return header
    ?.split(";")
    .find((part) => part.startsWith("Root="))
    ?.slice("Root=".length);
}

export function lambdaLogger(options: LambdaLoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const threshold = LEVELS[levelOf(env)];
  const service = env.POWERTOOLS_SERVICE_NAME || "service_undefined";

  const make = (keys: Readonly<Record<string, unknown>>): Logger => {
    const emit = (level: Level, message: string, fields?: Readonly<Record<string, unknown>>) => {
      if (LEVELS[level] < threshold) return;
      const traceId = xrayTraceId(env._X_AMZN_TRACE_ID);
      const entry = {
        level,
        message,
        timestamp: new Date(now()).toISOString(),
        service,
        sampling_rate: 0,
        ...(traceId !== undefined && { xray_trace_id: traceId }),
        ...keys,
        ...fields,
      };
      write(JSON.stringify(entry, plain));
    };
    return {
      debug: (m, f) => emit("DEBUG", m, f),
      info: (m, f) => emit("INFO", m, f),
      warn: (m, f) => emit("WARN", m, f),
      error: (m, f) => emit("ERROR", m, f),
      child: (fields) => make({ ...keys, ...fields }),
    };
  };
  return make({});
}
