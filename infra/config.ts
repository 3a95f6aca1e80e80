/**
 * The typed settings of each deployment environment. One stack per environment; every value
 * here can be overridden at synth time by CDK context (see `resolve-config.ts`), so an
 * account id or an alarm address need not be committed.
 */

/** The five Lambda functions, named as in `functions/`. */
export type FunctionId = "api" | "stepWorker" | "compensator" | "runTrigger" | "sweeper";

/** The functions fed by an SQS queue. */
export type ConsumerId = "stepWorker" | "compensator" | "runTrigger";

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

/** `xray`: Lambda active tracing. `otel`: the same plus `MAESTRO_TRACING=otel` (and a layer). */
export type TracingMode = "off" | "xray" | "otel";

export interface FunctionSettings {
  readonly memoryMb: number;
  /** For queue consumers this also sets their queue's visibility timeout (6×). */
  readonly timeoutSeconds: number;
  /**
   * Reserved concurrency. Leave unset on new accounts: reserving any leaves fewer than the
   * 10 unreserved executions AWS requires on a default 10-concurrency account.
   */
  readonly reservedConcurrency?: number;
}

export interface ConsumerSettings {
  /** Records per invocation (1–10). */
  readonly batchSize: number;
  /** At most this many concurrent invocations for the event source (2–1000). */
  readonly maxConcurrency: number;
  /** Wait up to this long to fill a batch (0–300 s); adds to the visibility timeout. */
  readonly maxBatchingWindowSeconds: number;
  /** Deliveries before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

export interface AuthSettings {
  /** The JWT issuer (an `https://` URL whose `/.well-known/openid-configuration` exists). */
  readonly issuer: string;
  /** Accepted `aud` values (at least one). */
  readonly audience: readonly string[];
}

export interface ApiSettings {
  /** An API Gateway HTTP API in front of the api function. */
  readonly httpApi: boolean;
  /**
   * A Lambda Function URL: `iam` (SigV4-signed callers) or `none` (public; only allowed with
   * `auth`, which the api function then checks itself).
   */
  readonly functionUrl: "off" | "iam" | "none";
  /** HTTP API stage throttling (requests per second and burst). */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Refuse new runs with 429 and a Retry-After while more tasks than this wait in the step
   * queue (visible, delayed and in flight, as SQS counts them). @default no bound
   */
  readonly maxBacklog?: number;
}

export interface AlarmSettings {
  /** Subscribe this address to the alarm topic (confirm the e-mail AWS sends). */
  readonly email?: string;
  /** Send alarms to this existing SNS topic instead of creating one. */
  readonly topicArn?: string;
  /** Function errors in 5 minutes that raise the worker-errors alarm. */
  readonly workerErrors: number;
  /** Failed runs in 5 minutes that raise the run-failures alarm. */
  readonly runFailures: number;
}

export interface MaestroEnvironment {
  /** The environment's name, as given to `-c env=`. */
  readonly name: string;
  /** 12-digit account; unset means the account of the credentials `cdk deploy` runs with. */
  readonly account?: string;
  readonly region: string;
  /** Starts every resource name, so environments coexist in one account (`maestro-dev-…`). */
  readonly namePrefix: string;
  /** CloudWatch Logs retention, in days (one of the values CloudWatch accepts). */
  readonly logRetentionDays: number;
  readonly logLevel: LogLevel;
  readonly tracing: TracingMode;
  /** With `tracing: otel`: an OpenTelemetry Lambda layer (e.g. ADOT) for this region. */
  readonly otelLayerArn?: string;
  readonly alarms: AlarmSettings;
  /** JWT auth on the HTTP API. Without it the HTTP API requires IAM (SigV4) auth. */
  readonly auth?: AuthSettings;
  readonly api: ApiSettings;
  readonly functions: Readonly<Record<FunctionId, FunctionSettings>>;
  readonly consumers: Readonly<Record<ConsumerId, ConsumerSettings>>;
  /** When the sweeper runs: `rate(…)`, `cron(…)` or a 5-field cron (UTC). */
  readonly sweeperSchedule: string;
  /**
   * Workflow files deployed to this environment, relative to the repository root. A `*` or
   * `?` is allowed in the file name (`examples/workflows/*.yaml`), not in folder names.
   */
  readonly workflows: readonly string[];
  /**
   * Keep data when the stack goes: table deletion protection and RETAIN, log groups retained,
   * stack termination protection.
   */
  readonly protectData: boolean;
}

const consumers = (scale: number): MaestroEnvironment["consumers"] => ({
  stepWorker: {
    batchSize: 10,
    maxConcurrency: 5 * scale,
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 5,
  },
  // Undo actions get more deliveries before an operator must step in.
  compensator: {
    batchSize: 10,
    maxConcurrency: 2 * scale,
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 10,
  },
  runTrigger: {
    batchSize: 10,
    maxConcurrency: 2 * scale,
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 3,
  },
});

const functions = (memoryMb: number): MaestroEnvironment["functions"] => ({
  // API Gateway gives up on an integration after 30 s.
  api: { memoryMb, timeoutSeconds: 29 },
  stepWorker: { memoryMb, timeoutSeconds: 60 },
  compensator: { memoryMb, timeoutSeconds: 60 },
  runTrigger: { memoryMb: 512, timeoutSeconds: 30 },
  sweeper: { memoryMb: 512, timeoutSeconds: 60 },
});

/** The environments. Add one by adding a key; `-c env=<key>` selects it. */
export const ENVIRONMENTS: Readonly<Record<string, MaestroEnvironment>> = {
  dev: {
    name: "dev",
    region: "us-east-1",
    namePrefix: "maestro-dev",
    logRetentionDays: 14,
    logLevel: "DEBUG",
    tracing: "off",
    alarms: { workerErrors: 5, runFailures: 5 },
    api: { httpApi: true, functionUrl: "off", throttle: { rateLimit: 20, burstLimit: 40 } },
    functions: functions(512),
    consumers: consumers(1),
    sweeperSchedule: "rate(1 minute)",
    workflows: ["examples/workflows/*.yaml"],
    protectData: false,
  },
  prod: {
    name: "prod",
    // Pin the account here or with `-c account=…` so prod cannot land in the wrong one.
    region: "us-east-1",
    namePrefix: "maestro-prod",
    logRetentionDays: 90,
    logLevel: "INFO",
    tracing: "xray",
    // Give `email` (or `topicArn`) here or with `-c alarmEmail=…`, and `auth` for JWT, e.g.
    // auth: { issuer: "https://login.example.com/", audience: ["maestro"] },
    alarms: { workerErrors: 1, runFailures: 1 },
    api: { httpApi: true, functionUrl: "off", throttle: { rateLimit: 200, burstLimit: 400 } },
    functions: {
      ...functions(1024),
      // One sweep at a time: a slow sweep is never overlapped by the next minute's.
      sweeper: { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 1 },
    },
    consumers: consumers(20),
    sweeperSchedule: "rate(1 minute)",
    // Replace with your own workflow files.
    workflows: [
      "examples/workflows/order_processing.yaml",
      "examples/workflows/user_onboarding.yaml",
    ],
    protectData: true,
  },
};
