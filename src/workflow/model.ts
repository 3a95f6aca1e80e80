/**
 * The compiled, immutable workflow: what the engine and the callers work from. Built by
 * `loadWorkflow` from YAML once the text has passed validation; every default is applied
 * and every template is parsed here, so nothing downstream re-validates.
 */
import type { CompiledValue, Template } from "../template/index.js";

export type ServiceType = "grpc" | "http" | "connect" | "grpc-web";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maxIntervalMs: number;
  readonly jitter: "full" | "none";
  /** Codes retried on top of the defaults. */
  readonly retryableErrors: readonly string[];
  /** Codes never retried. */
  readonly nonRetryableErrors: readonly string[];
}

export interface CircuitBreakerSettings {
  readonly failureThreshold: number;
  readonly failureRate?: number;
  readonly windowMs: number;
  readonly minimumCalls: number;
  readonly openDurationMs: number;
  readonly halfOpenCalls: number;
}

export interface RateLimitSettings {
  /** Tokens added per second. */
  readonly perSecond: number;
  readonly burst: number;
}

export interface TlsSettings {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly serverName?: string;
}

/** What a service caller needs to know about a service. Paths are absolute. */
export interface ServiceDefinition {
  readonly name: string;
  readonly type: ServiceType;
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly headers: Readonly<Record<string, Template>>;
  readonly descriptors?: string;
  readonly tls?: TlsSettings;
  readonly circuitBreaker?: CircuitBreakerSettings;
  readonly rateLimit?: RateLimitSettings;
  readonly maxConcurrency?: number;
}

/** A call: the step's own action or its compensation. */
export interface CallDefinition {
  readonly service: string;
  readonly method: Template;
  readonly input?: CompiledValue;
  readonly headers: Readonly<Record<string, Template>>;
  readonly query: Readonly<Record<string, Template>>;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
}

export interface StepDefinition {
  readonly id: string;
  /** The call this step makes; absent for sleep steps. */
  readonly call?: CallDefinition;
  /** A sleep step waits this long and calls nothing. */
  readonly sleepMs?: number;
  /** A signal step waits for a named signal, whose payload becomes its output. */
  readonly waitFor?: { readonly signal: string; readonly timeoutMs?: number };
  /** The name the step's result is stored under. */
  readonly output?: string;
  /** Keep only this field path of the response. */
  readonly select?: readonly string[];
  /** Direct dependencies (step ids). */
  readonly dependsOn: readonly string[];
  /** Every step this one transitively depends on. */
  readonly upstream: ReadonlySet<string>;
  /** Conditions that must all be truthy (the group's, then the step's own). */
  readonly when: readonly Template[];
  /** Steps whose outputs this step's templates read; if one was skipped, this one is too. */
  readonly needs: readonly string[];
  readonly compensate?: CallDefinition;
  /** The parallel group this step belongs to. */
  readonly group?: string;
}

export type Trigger =
  | {
      readonly kind: "schedule";
      /** As written. */
      readonly expression: string;
      /** A 5/6-field cron expression (UTC) or a fixed rate. */
      readonly cron?: string;
      readonly rateMs?: number;
      readonly input?: unknown;
    }
  | { readonly kind: "queue"; readonly queue: string };

/**
 * How many runs of a workflow may run at once. A run over the limit is accepted and waits, its
 * first step held back, until a run of the same workflow (and key) ends.
 */
export interface ConcurrencyPolicy {
  /** Runs (per key) that may run at once. */
  readonly max: number;
  /**
   * Evaluated against the run's input when it starts; runs with different values do not
   * limit each other. @default one limit for the whole workflow
   */
  readonly key?: Template;
}

/** A compiled `sensitive:` entry: `input.cards.*.number` is `["input", "cards", "*", "number"]`. */
export type SensitivePath = readonly string[];

export interface Workflow {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  /** The run's deadline, from its start. */
  readonly timeoutMs: number;
  readonly inputSchema?: Readonly<Record<string, unknown>>;
  readonly services: ReadonlyMap<string, ServiceDefinition>;
  /** In a topological order that keeps the file's order where the graph allows. */
  readonly steps: readonly StepDefinition[];
  readonly stepsById: ReadonlyMap<string, StepDefinition>;
  /** Steps that depend directly on each step. */
  readonly dependents: ReadonlyMap<string, readonly string[]>;
  /** Output name → the step that produces it. */
  readonly outputs: ReadonlyMap<string, string>;
  readonly output?: CompiledValue;
  /**
   * Paths whose values are masked wherever a run is read (API, logs, spans): each is the
   * root (`input` or a step output name) followed by keys, `*` matching any key or index.
   */
  readonly sensitive: readonly SensitivePath[];
  readonly triggers: readonly Trigger[];
  /** Maximum concurrent runs. @default no limit */
  readonly concurrency?: ConcurrencyPolicy;
  /** The file it was loaded from, for messages. */
  readonly file: string;
}

/** Names a template may read at the root besides step outputs. */
export const RESERVED_ROOTS: ReadonlySet<string> = new Set([
  "input",
  "run",
  "env",
  "secrets",
  "steps",
]);
