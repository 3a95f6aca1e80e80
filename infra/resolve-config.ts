/**
 * Picks the environment named by `-c env=…` and applies CDK context overrides, then checks
 * the result. Two kinds of override, later winning:
 *
 * 1. `maestro:<env>` — a partial {@link MaestroEnvironment}, deep-merged (objects merge, arrays
 *    and values replace). An object in `cdk.json` or `cdk.context.json`, or JSON text on the
 *    command line: `-c 'maestro:prod={"functions":{"stepWorker":{"memoryMb":2048}}}'`.
 * 2. Flat keys for the common cases, e.g. `-c account=123456789012 -c alarmEmail=ops@x.org`;
 *    see {@link FLAT_OVERRIDES}.
 */
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { en } from "zod/locales";
import * as z from "zod/mini";
import { ENVIRONMENTS, type MaestroEnvironment } from "./config.js";
import { eventBridgeExpressionOf } from "./schedule-expression.js";

export type ContextReader = (key: string) => unknown;

/** The environment cannot be chosen or its settings are invalid; the message says why. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const list = (value: unknown) =>
  String(value)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** `-c <key>=<value>` overrides and where each lands in the environment's settings. */
export const FLAT_OVERRIDES: Readonly<Record<string, (value: unknown) => object>> = {
  account: (v) => ({ account: String(v) }),
  region: (v) => ({ region: String(v) }),
  namePrefix: (v) => ({ namePrefix: String(v) }),
  logRetentionDays: (v) => ({ logRetentionDays: Number(v) }),
  logLevel: (v) => ({ logLevel: String(v) }),
  tracing: (v) => ({ tracing: String(v) }),
  otelLayerArn: (v) => ({ otelLayerArn: String(v) }),
  alarmEmail: (v) => ({ alarms: { email: String(v) } }),
  alarmTopicArn: (v) => ({ alarms: { topicArn: String(v) } }),
  authIssuer: (v) => ({ auth: { issuer: String(v) } }),
  /** Comma-separated. */
  authAudience: (v) => ({ auth: { audience: list(v) } }),
  functionUrl: (v) => ({ api: { functionUrl: String(v) } }),
  maxBacklog: (v) => ({ api: { maxBacklog: Number(v) } }),
  sweeperSchedule: (v) => ({ sweeperSchedule: String(v) }),
  /** Comma-separated paths or file-name globs. */
  workflows: (v) => ({ workflows: list(v) }),
};

const RETENTION_DAYS = new Set(Object.values(RetentionDays).filter((v) => typeof v === "number"));

// zod/mini installs no locale (every issue would read "Invalid input"): English, as classic zod.
if (!z.config().localeError) z.config(en());

const int = (min: number, max?: number) =>
  z.number().check(z.int(), z.minimum(min), ...(max === undefined ? [] : [z.maximum(max)]));

const functionSchema = z.strictObject({
  memoryMb: int(128, 10240),
  timeoutSeconds: int(1, 900),
  reservedConcurrency: z.optional(int(1)),
});

const consumerSchema = z.strictObject({
  batchSize: int(1, 10),
  maxConcurrency: int(2, 1000),
  maxBatchingWindowSeconds: int(0, 300),
  maxReceiveCount: int(1, 1000),
});

const environmentSchema: z.ZodMiniType<MaestroEnvironment> = z
  .strictObject({
    name: z.string().check(z.regex(/^[a-z][a-z0-9-]*$/)),
    account: z.optional(z.string().check(z.regex(/^\d{12}$/, "must be a 12-digit AWS account id"))),
    region: z
      .string()
      .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region like eu-west-1")),
    // The longest derived name, `<prefix>-compensation-tasks-dlq`, must fit SQS's 80 characters
    // and `<prefix>-compensator` Lambda's 64.
    namePrefix: z
      .string()
      .check(
        z.regex(/^[a-z][a-z0-9-]{1,39}$/, "must be 2–40 lowercase letters, digits or hyphens"),
      ),
    logRetentionDays: z.number().check(
      z.refine((d) => RETENTION_DAYS.has(d), {
        message: `must be one of ${[...RETENTION_DAYS].join(", ")}`,
      }),
    ),
    logLevel: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]),
    tracing: z.enum(["off", "xray", "otel"]),
    otelLayerArn: z.optional(
      z.string().check(z.regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[\w-]+:\d+$/)),
    ),
    alarms: z.strictObject({
      email: z.optional(z.email()),
      topicArn: z.optional(
        z.string().check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/)),
      ),
      workerErrors: int(1),
      runFailures: int(1),
    }),
    auth: z.optional(
      z.strictObject({
        issuer: z.url({ protocol: /^https$/ }),
        audience: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
      }),
    ),
    api: z.strictObject({
      httpApi: z.boolean(),
      functionUrl: z.enum(["off", "iam", "none"]),
      throttle: z.strictObject({
        rateLimit: z.number().check(z.positive()),
        burstLimit: z.number().check(z.int(), z.positive()),
      }),
      maxBacklog: z.optional(int(1)),
    }),
    functions: z.strictObject({
      api: functionSchema,
      stepWorker: functionSchema,
      compensator: functionSchema,
      runTrigger: functionSchema,
      sweeper: functionSchema,
    }),
    consumers: z.strictObject({
      stepWorker: consumerSchema,
      compensator: consumerSchema,
      runTrigger: consumerSchema,
    }),
    sweeperSchedule: z.string(),
    workflows: z.array(z.string().check(z.minLength(1))),
    protectData: z.boolean(),
  })
  .check(
    z.superRefine((env, ctx) => {
      const issue = (path: (string | number)[], message: string) =>
        ctx.addIssue({ code: "custom", path, message });
      if (env.api.functionUrl === "none" && !env.auth) {
        issue(
          ["api", "functionUrl"],
          "a public Function URL needs `auth` (the api checks the JWT)",
        );
      }
      if (env.alarms.email && env.alarms.topicArn) {
        issue(["alarms"], "give either `email` (a new topic) or `topicArn` (yours), not both");
      }
      if (env.functions.api.timeoutSeconds > 29 && env.api.httpApi) {
        issue(["functions", "api", "timeoutSeconds"], "API Gateway stops waiting after 29 s");
      }
      for (const id of ["stepWorker", "compensator", "runTrigger"] as const) {
        const reserved = env.functions[id].reservedConcurrency;
        if (reserved !== undefined && reserved < env.consumers[id].maxConcurrency) {
          issue(
            ["functions", id, "reservedConcurrency"],
            `is below consumers.${id}.maxConcurrency (${env.consumers[id].maxConcurrency}): the event source would be throttled`,
          );
        }
      }
      try {
        eventBridgeExpressionOf(env.sweeperSchedule);
      } catch (error) {
        issue(["sweeperSchedule"], (error as Error).message);
      }
    }),
  ) as z.ZodMiniType<MaestroEnvironment>;

/** The settings of the environment that `-c env=<name>` selects, overrides applied. */
export function resolveEnvironment(context: ContextReader): MaestroEnvironment {
  const name = context("env");
  if (typeof name !== "string" || name === "") {
    throw new ConfigError(
      `choose an environment with -c env=<${Object.keys(ENVIRONMENTS).join("|")}>`,
    );
  }
  const base = ENVIRONMENTS[name];
  if (!base) {
    throw new ConfigError(
      `unknown environment "${name}": expected one of ${Object.keys(ENVIRONMENTS).join(", ")}`,
    );
  }
  let merged: unknown = deepMerge(base, objectContext(context, `maestro:${name}`));
  for (const [key, toOverride] of Object.entries(FLAT_OVERRIDES)) {
    const value = context(key);
    if (value !== undefined && value !== "") merged = deepMerge(merged, toOverride(value));
  }
  const parsed = environmentSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`,
    );
    throw new ConfigError(`environment "${name}" has invalid settings:\n${problems.join("\n")}`);
  }
  return parsed.data;
}

function objectContext(context: ContextReader, key: string): unknown {
  const value = context(key);
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigError(`context ${key} is not JSON: ${value}`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = deepMerge(base[key], value);
  return out;
}
