/**
 * One shared versioned record (a service's breaker) as seen from this process: the last
 * version read or written, kept as a cache, and changes applied by compare-and-set.
 *
 * Changes are pure functions of the state, so a write that loses the race is simply decided
 * again on the state the store returned with the conflict (no extra read). Changes asked for
 * while a write is in flight are applied together in the next single write: workers of one
 * process never race each other for the same record, and a burst costs one write, not one
 * per call.
 */
import type { Clock } from "../ports/clock.js";
import { ContentionError, type GuardState, type PutResult, type Versioned } from "./guard-store.js";

/** A change: the new state (omitted or the same object: nothing to write) and what to answer. */
export type Change<S, R> = (state: S | undefined) => { readonly state?: S; readonly result: R };

export interface SharedRecord<S> {
  /** The state, from the cache when it was read or written less than `maxAgeMs` ago. */
  read(maxAgeMs: number): Promise<S | undefined>;
  /** The state as last seen, without I/O (undefined: never seen, or no record). */
  cached(): S | undefined;
  /** Applies `change` with a conditional write, deciding again on each conflict. */
  update<R>(change: Change<S, R>): Promise<R>;
}

export interface SharedRecordOptions<S> {
  /** Names the record in errors. */
  readonly name: string;
  readonly read: () => Promise<Versioned | undefined>;
  readonly write: (state: GuardState, expectedVersion: number) => Promise<PutResult>;
  readonly clock: Clock;
  /** Turns a stored state back into S; undefined for something unreadable (then overwritten). */
  readonly parse: (value: unknown) => S | undefined;
  /** Conditional writes per batch before giving up with a ContentionError. @default 8 */
  readonly maxAttempts?: number;
}

interface Seen<S> {
  readonly version: number;
  readonly state: S | undefined;
  readonly at: number;
}

interface Pending<S> {
  readonly change: Change<S, unknown>;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export function createSharedRecord<S extends GuardState>(
  options: SharedRecordOptions<S>,
): SharedRecord<S> {
  const { name, read, write, clock, parse } = options;
  const maxAttempts = options.maxAttempts ?? 8;
  let seen: Seen<S> | undefined;
  let reading: Promise<void> | undefined;
  let queue: Pending<S>[] = [];
  let writing = false;

  function remember(version: number, state: S | undefined, authoritative = false): void {
    // A read that was overtaken by a write must not put an older version back.
    if (!authoritative && seen && seen.version > version) return;
    seen = { version, state, at: clock.now() };
  }

  const fromStore = (record: Versioned | undefined): [number, S | undefined] =>
    record ? [record.version, parse(record.state)] : [0, undefined];

  async function apply(batch: readonly Pending<S>[]): Promise<void> {
    // Never seen: assume there is no record and write blind; a conflict returns the real one.
    let base: Seen<S> = seen ?? { version: 0, state: undefined, at: 0 };
    for (let attempt = 1; ; attempt++) {
      let state = base.state;
      const results = batch.map((p) => {
        const out = p.change(state);
        if (out.state !== undefined) state = out.state;
        return out.result;
      });
      if (state === base.state) return settle(batch, results);
      const put = await write(state as S, base.version);
      if (put.ok) {
        remember(put.version, state);
        return settle(batch, results);
      }
      remember(...fromStore(put.current), true);
      if (attempt >= maxAttempts) throw new ContentionError(name, attempt);
      base = seen ?? { version: 0, state: undefined, at: 0 };
    }
  }

  function settle(batch: readonly Pending<S>[], results: readonly unknown[]): void {
    for (const [i, p] of batch.entries()) p.resolve(results[i]);
  }

  async function drain(): Promise<void> {
    writing = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      await apply(batch).catch((error: unknown) => {
        for (const p of batch) p.reject(error);
      });
    }
    writing = false;
  }

  return {
    async read(maxAgeMs) {
      if (seen && clock.now() - seen.at < maxAgeMs) return seen.state;
      reading ??= read()
        .then((record) => remember(...fromStore(record)))
        .finally(() => {
          reading = undefined;
        });
      await reading;
      return seen?.state;
    },
    cached: () => seen?.state,
    update<R>(change: Change<S, R>) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ change, resolve: resolve as (r: unknown) => void, reject });
        if (!writing) void drain();
      });
    },
  };
}
