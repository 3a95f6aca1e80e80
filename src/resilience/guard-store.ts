/**
 * The port for state that every worker shares about a service: its circuit breaker, its token
 * bucket and its in-flight leases; and about a workflow: the slots of its concurrency limit. Implementations: `createMemoryGuardStore` (one process) and
 * `createDynamoGuardStore` (the saga table); both pass `test/contracts/guard-store-contract.ts`.
 *
 * Two styles of write, chosen by how often each record is written:
 * - The breaker changes rarely (failures, transitions): a versioned record changed by
 *   compare-and-set, its decisions made by the pure functions of breaker.ts.
 * - Tokens and leases are taken on every call, by hundreds of workers at once. A
 *   compare-and-set there would make every worker but one lose each race and retry; instead
 *   each is one atomic conditional update ("move the bucket's clock on by one interval if it
 *   is within the burst of now", "add my lease if fewer than max are held"), which the store
 *   applies one after another without anyone losing. Their meaning is defined by the pure
 *   functions of bucket.ts, inflight.ts and line.ts, which the memory store runs as they are.
 */
import { MaestroError } from "../errors.js";
import type { Pace } from "./bucket.js";

/** A record's state: a plain object of JSON values. */
export type GuardState = object;

/** A record and the version it was read at. Versions start at 1 and grow by one per write. */
export interface Versioned {
  readonly version: number;
  readonly state: GuardState;
}

export type PutResult =
  | { readonly ok: true; readonly version: number }
  /** Someone wrote first: what the store holds now (undefined: no record), to decide again. */
  | { readonly ok: false; readonly current: Versioned | undefined };

export interface TokenAsk {
  readonly now: number;
  /** Time between calls at the current pace. */
  readonly intervalMs: number;
  /** How far behind `now` the bucket's clock may lag (the burst): `toleranceMs` in bucket.ts. */
  readonly toleranceMs: number;
}

export interface TokenAnswer {
  readonly taken: boolean;
  /** The bucket's clock after the call: the earliest time the next call can get a token. */
  readonly nextAt: number;
  /** The bucket's adaptive pace as stored. */
  readonly pace: Pace;
}

export interface SlowDownAsk {
  readonly now: number;
  /** Pushback within this long of the last lowering does not lower the rate again. */
  readonly debounceMs: number;
  /** Hold every call until this (the service's Retry-After): the bucket's clock moves up to it. */
  readonly until?: number;
}

export interface LeaseAsk {
  readonly now: number;
  readonly max: number;
  readonly id: string;
  /** When the lease expires if never released (its worker died). */
  readonly until: number;
}

export type LeaseAnswer =
  | { readonly acquired: true }
  | {
      readonly acquired: false;
      /** When the first live lease expires at the latest. */
      readonly soonestExpiry: number;
      /** The average call duration last reported, if any. */
      readonly averageMs: number | undefined;
    };

export interface GuardStore {
  /** The service's breaker as it is now (a strongly consistent read), or undefined. */
  readBreaker(service: string): Promise<Versioned | undefined>;
  /**
   * Writes the breaker if it is still at `expectedVersion` (0: there must be none). A conflict
   * is a result, not an error; errors are for a store that cannot answer.
   */
  writeBreaker(service: string, state: GuardState, expectedVersion: number): Promise<PutResult>;
  /** Takes a token if the bucket has one (`takeToken` in bucket.ts), atomically. */
  takeToken(service: string, ask: TokenAsk): Promise<TokenAnswer>;
  /** Halves the pace (`slowedPace`) unless it was lowered within `debounceMs`; true if lowered. */
  slowDown(service: string, ask: SlowDownAsk): Promise<boolean>;
  /** Adds a lease if fewer than `max` live ones are held (`acquireLease` in inflight.ts). */
  acquireLease(service: string, ask: LeaseAsk): Promise<LeaseAnswer>;
  /** Removes a lease (nothing if it is gone), recording the caller's average call duration. */
  releaseLease(service: string, id: string, averageMs?: number): Promise<void>;
  /** Places a held-back call in the bucket's or the leases' line (`joinLine`); its slot. */
  joinLine(
    service: string,
    line: "bucket" | "inflight",
    ask: { readonly from: number; readonly spacingMs: number },
  ): Promise<number>;
}

/** Refused a run slot: when the first slot held expires at the latest. */
export type SlotAnswer =
  | { readonly acquired: true }
  | { readonly acquired: false; readonly soonestExpiry: number };

/**
 * Run slots (a workflow's `concurrency` limit): one record per workflow and key (see
 * `slotName` in run-slots.ts), holding run id → expiry. Kept by the same stores as the
 * service records, with the same atomic conditional update as leases.
 */
export interface RunSlotStore {
  /** Takes a slot for `ask.id` (a run id) as `takeSlot` in run-slots.ts decides, atomically. */
  takeRunSlot(slot: string, ask: LeaseAsk): Promise<SlotAnswer>;
  /** Gives a run's slot back (nothing if it holds none). */
  releaseRunSlot(slot: string, runId: string): Promise<void>;
  /** The slots held, run id → expiry (strongly consistent): for repairs. */
  readRunSlots(slot: string): Promise<Readonly<Record<string, number>>>;
}

/** Writes kept losing to other workers; the caller backs off. */
export class ContentionError extends MaestroError {
  override readonly name = "ContentionError";
  constructor(what: string, attempts: number) {
    super("aborted", `${what}: ${attempts} writes lost the race`);
  }
}
