/**
 * The workflow language's shape: the single source for the parser's raw types and for the
 * JSON Schema that editors use (`maestro schema`). Semantic checks (graph, templates,
 * references) live in the validator; this file only says what may be written where.
 */
import * as z from "zod";
import { DURATION_PATTERN } from "./duration.js";

const duration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), "must be a duration such as 200ms, 5s, 10m, 1h")
  .describe("A duration: 200ms, 5s, 10m, 1h, 1d or combinations like 1m30s.");

const identifier = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    "must start with a letter or _ and contain only letters, digits and _",
  );

const templateString = z.string().describe("A Go-template expression, e.g. {{ .input.email }}.");

/** Anything: input and output trees whose string leaves may be templates. */
const valueTree = z.unknown().describe("A value whose strings may contain {{ }} expressions.");

export const retryPolicySchema = z
  .strictObject({
    max_attempts: z
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe("Attempts in all, the first included. @default 3"),
    initial_interval: duration
      .optional()
      .describe("Delay before the second attempt. @default 200ms"),
    backoff_coefficient: z
      .number()
      .min(1)
      .max(10)
      .optional()
      .describe("Each delay is the previous times this. @default 2"),
    max_interval: duration.optional().describe("Delays never exceed this. @default 30s"),
    jitter: z
      .enum(["full", "none"])
      .optional()
      .describe(
        "full: each delay is drawn uniformly from 0..delay (AWS full jitter). @default full",
      ),
    retryable_errors: z
      .array(z.string())
      .optional()
      .describe(
        "Error codes to retry in addition to the default ones (unavailable, deadline_exceeded, …).",
      ),
    non_retryable_errors: z
      .array(z.string())
      .optional()
      .describe("Error codes never to retry, even if retryable by default."),
  })
  .describe("When and how often to try a failed call again.");

export const circuitBreakerSchema = z.strictObject({
  failure_threshold: z
    .int()
    .min(1)
    .optional()
    .describe("Consecutive failures that open the breaker. @default 5"),
  failure_rate: z
    .number()
    .gt(0)
    .max(1)
    .optional()
    .describe(
      "Open when this share of calls in the window failed (with minimum_calls). Off by default.",
    ),
  window: duration.optional().describe("The window failure_rate is measured over. @default 60s"),
  minimum_calls: z
    .int()
    .min(1)
    .optional()
    .describe("Calls in the window before failure_rate counts. @default 10"),
  open_duration: duration.optional().describe("How long the breaker stays open. @default 30s"),
  half_open_calls: z
    .int()
    .min(1)
    .optional()
    .describe("Trial calls admitted while half-open. @default 1"),
});

export const rateLimitSchema = z.strictObject({
  rate: z
    .string()
    .regex(/^\d+(\.\d+)?\/(s|m|h)$/, "must be a rate such as 10/s, 600/m")
    .describe("Sustained calls per second/minute/hour, e.g. 10/s."),
  burst: z
    .int()
    .min(1)
    .optional()
    .describe(
      "Calls allowed at once after a quiet period. @default the per-second rate, at least 1",
    ),
});

export const tlsSchema = z.strictObject({
  ca: z.string().optional().describe("Path to a PEM CA bundle to trust."),
  cert: z.string().optional().describe("Path to a PEM client certificate (mTLS)."),
  key: z.string().optional().describe("Path to the client certificate's PEM private key (mTLS)."),
  server_name: z
    .string()
    .optional()
    .describe("Server name to verify instead of the endpoint's host."),
});

export const serviceSchema = z
  .strictObject({
    type: z
      .enum(["grpc", "http", "connect", "grpc-web"])
      .describe("grpc (native gRPC over HTTP/2), connect, grpc-web, or http (JSON over HTTP)."),
    endpoint: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe("host:port or URL; a list is used round-robin."),
    timeout: duration.optional().describe("Deadline of one call. @default 30s"),
    retry: retryPolicySchema.optional(),
    headers: z
      .record(z.string(), templateString)
      .optional()
      .describe("Headers / metadata sent with every call."),
    descriptors: z
      .string()
      .optional()
      .describe(
        "gRPC: path to a descriptor set (buf build -o x.binpb), relative to the workflow file.",
      ),
    tls: tlsSchema.optional(),
    circuit_breaker: circuitBreakerSchema.optional(),
    rate_limit: rateLimitSchema.optional(),
    max_concurrency: z
      .int()
      .min(1)
      .optional()
      .describe("Calls in flight at once across all workers. Unlimited by default."),
  })
  .describe("A service that steps call.");

export const compensateSchema = z
  .strictObject({
    service: identifier.optional().describe("@default the step's service"),
    method: templateString.describe("The undo call: a gRPC method or `VERB /path`."),
    input: valueTree.optional(),
    headers: z.record(z.string(), templateString).optional(),
    query: z.record(z.string(), templateString).optional(),
    retry: retryPolicySchema
      .optional()
      .describe("@default max_attempts 10, the step's other settings"),
    timeout: duration.optional(),
  })
  .describe("How to undo the step when a later step fails.");

const dependsOn = z
  .union([identifier, z.array(identifier)])
  .describe("Steps that must finish first. @default the previous step (sequential).");

export const stepSchema = z
  .strictObject({
    id: identifier.describe("Unique step id."),
    service: identifier.optional().describe("Key of `services`. Required unless the step sleeps."),
    method: templateString
      .optional()
      .describe(
        "gRPC: CreateUser, AuthService.CreateUser or pkg.AuthService/CreateUser. HTTP: `POST /contacts/{{ .x.id }}`.",
      ),
    input: valueTree.optional().describe("Request body / message."),
    output: identifier
      .optional()
      .describe("Name the result is stored under, for later templates: {{ .NAME.field }}."),
    select: z
      .string()
      .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, "must be a dot path such as data.user")
      .optional()
      .describe("Keep only this field of the response."),
    headers: z.record(z.string(), templateString).optional(),
    query: z.record(z.string(), templateString).optional().describe("HTTP query parameters."),
    depends_on: dependsOn.optional(),
    when: templateString
      .optional()
      .describe("Run only when this is truthy; otherwise the step is skipped."),
    retry: retryPolicySchema.optional().describe("@default the service's retry policy"),
    timeout: duration
      .optional()
      .describe("Deadline of one attempt. @default the service's timeout"),
    sleep: duration.optional().describe("Makes this a sleep step: wait this long, call nothing."),
    wait_for: z
      .strictObject({
        signal: identifier.describe("The signal's name: POST /v1/runs/{id}/signals/{name}."),
        timeout: duration
          .optional()
          .describe("Fail the step if no signal came by then. @default the run's deadline"),
      })
      .optional()
      .describe(
        "Makes this a signal step (an approval, a callback): wait for a named signal; its payload is the step's output.",
      ),
    compensate: compensateSchema.optional(),
  })
  .describe("One call to a service (or a sleep).");

export const parallelGroupSchema = z
  .strictObject({
    id: identifier.optional().describe("Name of the group, usable in depends_on."),
    parallel: z
      .array(stepSchema)
      .min(1)
      .describe("Steps that run concurrently; the next step waits for all."),
    depends_on: dependsOn.optional(),
    when: templateString.optional().describe("Run the group only when this is truthy."),
  })
  .describe("Steps that run at the same time, joined before what follows.");

export const triggerSchema = z.union([
  z.strictObject({
    schedule: z
      .string()
      .describe("cron(…) or rate(…) as in EventBridge, or a 5-field cron expression (UTC)."),
    input: valueTree.optional().describe("Input of the runs this schedule starts."),
  }),
  z.strictObject({
    queue: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,80}$/, "must be a queue name")
      .describe("Run requests arrive on this queue."),
  }),
]);

export const workflowSchema = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9_-]{0,127}$/,
        "must start with a letter and contain only letters, digits, _ and -",
      ),
    version: z
      .string()
      .min(1)
      .describe('The definition\'s version, e.g. "1.0" or "2.3.1". Quote it.'),
    description: z.string().optional(),
    timeout: duration
      .optional()
      .describe("The run's deadline: past it the run fails and compensates. @default 24h"),
    input_schema: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("A JSON Schema the run's input must satisfy."),
    services: z.record(identifier, serviceSchema).default({}),
    steps: z.array(z.union([stepSchema, parallelGroupSchema])).min(1),
    output: valueTree.optional().describe("The run's result, built from step outputs."),
    triggers: z.array(triggerSchema).optional(),
  })
  .describe("A Maestro workflow definition.");

export type RawWorkflow = z.infer<typeof workflowSchema>;
export type RawService = z.infer<typeof serviceSchema>;
export type RawStep = z.infer<typeof stepSchema>;
export type RawParallelGroup = z.infer<typeof parallelGroupSchema>;
export type RawRetryPolicy = z.infer<typeof retryPolicySchema>;
export type RawCompensate = z.infer<typeof compensateSchema>;
export type RawTrigger = z.infer<typeof triggerSchema>;

/** The JSON Schema of the language, for editors (yaml-language-server) and `maestro schema`. */
export function workflowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(workflowSchema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return { $id: "https://maestro.dev/schema/workflow.json", title: "Maestro workflow", ...schema };
}
