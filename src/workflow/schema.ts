/**
 * The workflow language's shape: the single source for the parser's raw types and for the
 * JSON Schema that editors use (`maestro schema`). Semantic checks (graph, templates,
 * references) live in the validator; this file only says what may be written where.
 *
 * Written with `zod/mini`, zod's tree-shakable functional API: the Lambda bundles that load
 * workflows then carry a fraction of what the classic API costs.
 */
import { en } from "zod/locales";
import * as z from "zod/mini";
import { DURATION_PATTERN } from "./duration.js";

// Unlike classic zod, zod/mini installs no locale: without one every issue reads "Invalid
// input". English, as classic zod would set it, unless someone chose a locale already.
if (!z.config().localeError) z.config(en());

// Descriptions: z.describe() is a no-op check that records one in z.globalRegistry on a copy
// of the schema (classic zod's .describe()). Object schemas register theirs in place instead:
// zod refuses to omit or pick the fields of an object that has checks.
const describe = z.describe;

const duration = z
  .string()
  .check(
    z.regex(new RegExp(DURATION_PATTERN), "must be a duration such as 200ms, 5s, 10m, 1h"),
    describe("A duration: 200ms, 5s, 10m, 1h, 1d or combinations like 1m30s."),
  );

const identifier = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z_][A-Za-z0-9_]*$/,
      "must start with a letter or _ and contain only letters, digits and _",
    ),
  );

const templateString = z
  .string()
  .check(describe("A Go-template expression, e.g. {{ .input.email }}."));

/** Anything: input and output trees whose string leaves may be templates. */
const valueTree = z
  .unknown()
  .check(describe("A value whose strings may contain {{ }} expressions."));

export const retryPolicySchema = z
  .strictObject({
    max_attempts: z
      .optional(z.int().check(z.minimum(1), z.maximum(100)))
      .check(describe("Attempts in all, the first included. @default 3")),
    initial_interval: z
      .optional(duration)
      .check(describe("Delay before the second attempt. @default 200ms")),
    backoff_coefficient: z
      .optional(z.number().check(z.minimum(1), z.maximum(10)))
      .check(describe("Each delay is the previous times this. @default 2")),
    max_interval: z.optional(duration).check(describe("Delays never exceed this. @default 30s")),
    jitter: z
      .optional(z.enum(["full", "none"]))
      .check(
        describe(
          "full: each delay is drawn uniformly from 0..delay (AWS full jitter). @default full",
        ),
      ),
    retryable_errors: z
      .optional(z.array(z.string()))
      .check(
        describe(
          "Error codes to retry in addition to the default ones (unavailable, deadline_exceeded, …).",
        ),
      ),
    non_retryable_errors: z
      .optional(z.array(z.string()))
      .check(describe("Error codes never to retry, even if retryable by default.")),
  })
  .register(z.globalRegistry, { description: "When and how often to try a failed call again." });

export const circuitBreakerSchema = z.strictObject({
  failure_threshold: z
    .optional(z.int().check(z.minimum(1)))
    .check(describe("Consecutive failures that open the breaker. @default 5")),
  failure_rate: z
    .optional(z.number().check(z.gt(0), z.maximum(1)))
    .check(
      describe(
        "Open when this share of calls in the window failed (with minimum_calls). Off by default.",
      ),
    ),
  window: z
    .optional(duration)
    .check(describe("The window failure_rate is measured over. @default 60s")),
  minimum_calls: z
    .optional(z.int().check(z.minimum(1)))
    .check(describe("Calls in the window before failure_rate counts. @default 10")),
  open_duration: z
    .optional(duration)
    .check(describe("How long the breaker stays open. @default 30s")),
  half_open_calls: z
    .optional(z.int().check(z.minimum(1)))
    .check(describe("Trial calls admitted while half-open. @default 1")),
});

export const rateLimitSchema = z.strictObject({
  rate: z
    .string()
    .check(
      z.regex(/^\d+(\.\d+)?\/(s|m|h)$/, "must be a rate such as 10/s, 600/m"),
      describe("Sustained calls per second/minute/hour, e.g. 10/s."),
    ),
  burst: z
    .optional(z.int().check(z.minimum(1)))
    .check(
      describe(
        "Calls allowed at once after a quiet period. @default the per-second rate, at least 1",
      ),
    ),
});

export const tlsSchema = z.strictObject({
  ca: z.optional(z.string()).check(describe("Path to a PEM CA bundle to trust.")),
  cert: z.optional(z.string()).check(describe("Path to a PEM client certificate (mTLS).")),
  key: z
    .optional(z.string())
    .check(describe("Path to the client certificate's PEM private key (mTLS).")),
  server_name: z
    .optional(z.string())
    .check(describe("Server name to verify instead of the endpoint's host.")),
});

export const serviceSchema = z
  .strictObject({
    type: z
      .enum(["grpc", "http", "connect", "grpc-web"])
      .check(
        describe("grpc (native gRPC over HTTP/2), connect, grpc-web, or http (JSON over HTTP)."),
      ),
    endpoint: z
      .union([
        z.string().check(z.minLength(1)),
        z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
      ])
      .check(describe("host:port or URL; a list is used round-robin.")),
    timeout: z.optional(duration).check(describe("Deadline of one call. @default 30s")),
    retry: z.optional(retryPolicySchema),
    headers: z
      .optional(z.record(z.string(), templateString))
      .check(describe("Headers / metadata sent with every call.")),
    descriptors: z
      .optional(z.string())
      .check(
        describe(
          "gRPC: path to a descriptor set (buf build -o x.binpb), relative to the workflow file.",
        ),
      ),
    tls: z.optional(tlsSchema),
    circuit_breaker: z.optional(circuitBreakerSchema),
    rate_limit: z.optional(rateLimitSchema),
    max_concurrency: z
      .optional(z.int().check(z.minimum(1)))
      .check(describe("Calls in flight at once across all workers. Unlimited by default.")),
  })
  .register(z.globalRegistry, { description: "A service that steps call." });

export const concurrencySchema = z
  .strictObject({
    max: z
      .int()
      .check(z.minimum(1), describe("Runs of this workflow (per key) that may run at once.")),
    key: z
      .optional(templateString)
      .check(
        describe(
          "A template over .input, evaluated when the run starts, e.g. {{ .input.customer_id }}: the limit applies per value. @default one limit for the whole workflow",
        ),
      ),
  })
  .register(z.globalRegistry, {
    description:
      "Maximum concurrent runs. Runs over the limit are accepted and wait for a slot. @default no limit",
  });

export const compensateSchema = z
  .strictObject({
    service: z.optional(identifier).check(describe("@default the step's service")),
    method: templateString.check(describe("The undo call: a gRPC method or `VERB /path`.")),
    input: z.optional(valueTree),
    headers: z.optional(z.record(z.string(), templateString)),
    query: z.optional(z.record(z.string(), templateString)),
    retry: z
      .optional(retryPolicySchema)
      .check(describe("@default max_attempts 10, the step's other settings")),
    timeout: z.optional(duration),
  })
  .register(z.globalRegistry, { description: "How to undo the step when a later step fails." });

const dependsOn = z
  .union([identifier, z.array(identifier)])
  .check(describe("Steps that must finish first. @default the previous step (sequential)."));

export const stepSchema = z
  .strictObject({
    id: identifier.check(describe("Unique step id.")),
    service: z
      .optional(identifier)
      .check(describe("Key of `services`. Required unless the step sleeps.")),
    method: z
      .optional(templateString)
      .check(
        describe(
          "gRPC: CreateUser, AuthService.CreateUser or pkg.AuthService/CreateUser. HTTP: `POST /contacts/{{ .x.id }}`.",
        ),
      ),
    input: z.optional(valueTree).check(describe("Request body / message.")),
    output: z
      .optional(identifier)
      .check(describe("Name the result is stored under, for later templates: {{ .NAME.field }}.")),
    select: z
      .optional(
        z
          .string()
          .check(
            z.regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, "must be a dot path such as data.user"),
          ),
      )
      .check(describe("Keep only this field of the response.")),
    headers: z.optional(z.record(z.string(), templateString)),
    query: z
      .optional(z.record(z.string(), templateString))
      .check(describe("HTTP query parameters.")),
    depends_on: z.optional(dependsOn),
    when: z
      .optional(templateString)
      .check(describe("Run only when this is truthy; otherwise the step is skipped.")),
    retry: z.optional(retryPolicySchema).check(describe("@default the service's retry policy")),
    timeout: z
      .optional(duration)
      .check(describe("Deadline of one attempt. @default the service's timeout")),
    sleep: z
      .optional(duration)
      .check(describe("Makes this a sleep step: wait this long, call nothing.")),
    wait_for: z
      .optional(
        z.strictObject({
          signal: identifier.check(
            describe("The signal's name: POST /v1/runs/{id}/signals/{name}."),
          ),
          timeout: z
            .optional(duration)
            .check(
              describe("Fail the step if no signal came by then. @default the run's deadline"),
            ),
        }),
      )
      .check(
        describe(
          "Makes this a signal step (an approval, a callback): wait for a named signal; its payload is the step's output.",
        ),
      ),
    compensate: z.optional(compensateSchema),
  })
  .register(z.globalRegistry, { description: "One call to a service (or a sleep)." });

export const parallelGroupSchema = z
  .strictObject({
    id: z.optional(identifier).check(describe("Name of the group, usable in depends_on.")),
    parallel: z
      .array(stepSchema)
      .check(z.minLength(1), describe("Steps that run concurrently; the next step waits for all.")),
    depends_on: z.optional(dependsOn),
    when: z.optional(templateString).check(describe("Run the group only when this is truthy.")),
  })
  .register(z.globalRegistry, {
    description: "Steps that run at the same time, joined before what follows.",
  });

export const triggerSchema = z.union([
  z.strictObject({
    schedule: z
      .string()
      .check(describe("cron(…) or rate(…) as in EventBridge, or a 5-field cron expression (UTC).")),
    input: z.optional(valueTree).check(describe("Input of the runs this schedule starts.")),
  }),
  z.strictObject({
    queue: z
      .string()
      .check(
        z.regex(/^[A-Za-z0-9_-]{1,80}$/, "must be a queue name"),
        describe("Run requests arrive on this queue."),
      ),
  }),
]);

export const workflowSchema = z
  .strictObject({
    name: z
      .string()
      .check(
        z.regex(
          /^[A-Za-z][A-Za-z0-9_-]{0,127}$/,
          "must start with a letter and contain only letters, digits, _ and -",
        ),
      ),
    version: z
      .string()
      .check(
        z.minLength(1),
        describe('The definition\'s version, e.g. "1.0" or "2.3.1". Quote it.'),
      ),
    description: z.optional(z.string()),
    timeout: z
      .optional(duration)
      .check(describe("The run's deadline: past it the run fails and compensates. @default 24h")),
    input_schema: z
      .optional(z.record(z.string(), z.unknown()))
      .check(describe("A JSON Schema the run's input must satisfy.")),
    services: z._default(z.record(identifier, serviceSchema), {}),
    sensitive: z
      .optional(z.array(z.string()))
      .check(
        describe(
          "Dot paths whose values are [redacted] wherever runs are read: input.card.number, charge.card_token, input.cards.*.number, or a whole step output (charge).",
        ),
      ),
    steps: z.array(z.union([stepSchema, parallelGroupSchema])).check(z.minLength(1)),
    output: z.optional(valueTree).check(describe("The run's result, built from step outputs.")),
    triggers: z.optional(z.array(triggerSchema)),
    concurrency: z.optional(concurrencySchema),
  })
  .register(z.globalRegistry, { description: "A Maestro workflow definition." });

export type RawWorkflow = z.infer<typeof workflowSchema>;
export type RawService = z.infer<typeof serviceSchema>;
export type RawStep = z.infer<typeof stepSchema>;
export type RawParallelGroup = z.infer<typeof parallelGroupSchema>;
export type RawRetryPolicy = z.infer<typeof retryPolicySchema>;
export type RawCompensate = z.infer<typeof compensateSchema>;
export type RawTrigger = z.infer<typeof triggerSchema>;
export type RawConcurrency = z.infer<typeof concurrencySchema>;

/** The JSON Schema of the language, for editors (yaml-language-server) and `maestro schema`. */
export function workflowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(workflowSchema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return { $id: "https://maestro.dev/schema/workflow.json", title: "Maestro workflow", ...schema };
}
