/**
 * What every SagaLog must do, written once and run against each implementation (memory,
 * DynamoDB on an emulator, …). Only the port is used, never an implementation's internals.
 * Each test uses fresh run ids and workflow names, so implementations may share one table
 * between tests.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunStarted, RunStatus, SagaEvent, StepSucceeded } from "../../src/engine/events.js";
import { fold } from "../../src/engine/state.js";
import { AppendConflictError } from "../../src/errors.js";
import type { LoggedEvent, RunHeader, SagaLog } from "../../src/ports/saga-log.js";

export interface SagaLogFixture {
  readonly log: SagaLog;
  readonly cleanup?: () => Promise<void>;
}

const T0 = Date.UTC(2025, 0, 15, 9, 30);

/** Defines the SagaLog contract suite; `setup` runs before each test. */
export function runSagaLogContract(name: string, setup: () => Promise<SagaLogFixture>): void {
  describe(`SagaLog contract: ${name}`, () => {
    let fixture: SagaLogFixture;
    let log: SagaLog;

    beforeEach(async () => {
      fixture = await setup();
      log = fixture.log;
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    it("loads a created run as written", async () => {
      const run = newRun();
      const events = [started(run), stepSucceeded("reserve", 1)];
      const result = await log.create(run, events, { idempotencyKey: run.idempotencyKey });
      expect(result).toEqual({ created: true, runId: run.runId });

      const loaded = await log.load(run.runId);
      expect(loaded?.header).toEqual(run);
      expect(loaded?.snapshot).toBeUndefined();
      expect(loaded?.events).toEqual(numbered(events, 1));
      expect(loaded?.seq).toBe(2);
    });

    it("returns the first run for a used idempotency key and writes nothing", async () => {
      const first = newRun();
      await log.create(first, [started(first)], { idempotencyKey: first.idempotencyKey });
      const second = newRun({ idempotencyKey: first.idempotencyKey });

      const result = await log.create(second, [started(second), stepSucceeded("a", 1)], {
        idempotencyKey: first.idempotencyKey,
      });

      expect(result).toEqual({ created: false, runId: first.runId });
      expect(await log.load(second.runId)).toBeUndefined();
      const loaded = await log.load(first.runId);
      expect(loaded?.events).toEqual(numbered([started(first)], 1));
      expect(loaded?.header).toEqual(first);
    });

    it("rejects creating a run whose id exists", async () => {
      const run = newRun();
      await log.create(run, [started(run)]);
      const again = { ...run, idempotencyKey: `other-${randomUUID()}` };
      await expect(log.create(again, [started(run)])).rejects.toThrow();
      expect((await log.load(run.runId))?.seq).toBe(1);
    });

    it("appends at the head and numbers events densely", async () => {
      const run = newRun();
      await log.create(run, [started(run)]);

      await log.append(run.runId, 1, [stepSucceeded("reserve", 1), stepSucceeded("charge", 1)]);
      await log.append(run.runId, 3, [stepSucceeded("ship", 1)]);

      const loaded = await log.load(run.runId);
      expect(loaded?.seq).toBe(4);
      expect(loaded?.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(loaded?.events.map((e) => e.type === "step_succeeded" && e.stepId)).toEqual([
        false,
        "reserve",
        "charge",
        "ship",
      ]);
    });

    it("throws AppendConflictError with the actual head on a stale seq", async () => {
      const run = newRun();
      await log.create(run, [started(run)]);
      await log.append(run.runId, 1, [stepSucceeded("reserve", 1)]);

      const error = await log.append(run.runId, 1, [stepSucceeded("other", 1)]).catch((e) => e);

      expect(error).toBeInstanceOf(AppendConflictError);
      expect(error).toMatchObject({ runId: run.runId, expectedSeq: 1, actualSeq: 2 });
      const loaded = await log.load(run.runId);
      expect(loaded?.seq).toBe(2);
      expect(loaded?.events.at(-1)).toMatchObject({ stepId: "reserve" });
    });

    it("throws AppendConflictError when appending to an unknown run", async () => {
      const runId = `missing-${randomUUID()}`;
      const error = await log.append(runId, 0, [stepSucceeded("a", 1)]).catch((e) => e);
      expect(error).toBeInstanceOf(AppendConflictError);
      expect(error).toMatchObject({ runId, expectedSeq: 0, actualSeq: undefined });
      expect(await log.load(runId)).toBeUndefined();
    });

    it("lets exactly one of many concurrent appends at the same seq win", async () => {
      const run = newRun();
      await log.create(run, [started(run)]);
      const racers = Array.from({ length: 10 }, (_, i) =>
        log.append(run.runId, 1, [stepSucceeded(`racer-${i}`, 1), stepSucceeded(`after-${i}`, 1)]),
      );

      const results = await Promise.allSettled(racers);

      const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === "rejected") expect(r.reason).toBeInstanceOf(AppendConflictError);
      }
      const loaded = await log.load(run.runId);
      expect(loaded?.seq).toBe(3);
      expect(loaded?.events.slice(1)).toMatchObject([
        { seq: 2, stepId: `racer-${won[0]}` },
        { seq: 3, stepId: `after-${won[0]}` },
      ]);
    });

    it("loads the latest snapshot and only the events after it", async () => {
      const run = newRun();
      const first = [started(run), stepSucceeded("reserve", 1)];
      await log.create(run, first);
      const second = [stepAttemptFailed("charge", 1), stepSucceeded("charge", 2)];
      const snapshot = fold(undefined, numbered([...first, ...second], 1));
      expect(snapshot?.seq).toBe(4);
      await log.append(run.runId, 2, second, { snapshot, now: T0 + 5_000 });
      const third = [stepSucceeded("ship", 1)];
      await log.append(run.runId, 4, third, { now: T0 + 6_000 });

      const loaded = await log.load(run.runId);

      expect(loaded?.snapshot).toEqual(snapshot);
      expect(loaded?.events).toEqual(numbered(third, 5));
      expect(loaded?.seq).toBe(5);
      const all = numbered([...first, ...second, ...third], 1);
      expect(fold(loaded?.snapshot, loaded?.events ?? [])).toEqual(fold(undefined, all));
    });

    it("reads every event after a sequence number, across snapshots, when it can", async () => {
      if (!log.events) return expect(log.events).toBeUndefined();
      const run = newRun();
      const first = [started(run), stepSucceeded("reserve", 1)];
      await log.create(run, first);
      const second = [stepAttemptFailed("charge", 1), stepSucceeded("charge", 2)];
      const snapshot = fold(undefined, numbered([...first, ...second], 1));
      await log.append(run.runId, 2, second, { snapshot, now: T0 + 5_000 });
      const third = [stepSucceeded("ship", 1)];
      await log.append(run.runId, 4, third, { now: T0 + 6_000 });
      const all = numbered([...first, ...second, ...third], 1);
      expect(await log.events(run.runId, 0)).toEqual(all);
      expect(await log.events(run.runId, 3)).toEqual(all.slice(3));
      expect(await log.events(run.runId, 5)).toEqual([]);
      expect(await log.events("no-such-run", 0)).toEqual([]);
    });

    it("updates the header's status and updatedAt, in load and in list", async () => {
      const run = newRun();
      await log.create(run, [started(run)]);

      await log.append(run.runId, 1, [runFailed("charge")], {
        status: "compensating",
        now: T0 + 60_000,
      });

      const loaded = await log.load(run.runId);
      expect(loaded?.header).toMatchObject({ status: "compensating", updatedAt: T0 + 60_000 });
      expect(loaded?.header.createdAt).toBe(run.createdAt);
      const compensating = await listAll(log, { workflow: run.workflow, status: "compensating" });
      expect(compensating.map((h) => h.runId)).toEqual([run.runId]);
      expect(compensating[0]).toMatchObject({ status: "compensating", updatedAt: T0 + 60_000 });
      expect(await listAll(log, { workflow: run.workflow, status: "running" })).toEqual([]);
    });

    it("updates the header's version when a redrive moves the run, in load and in list", async () => {
      const run = newRun();
      await log.create(run, [started(run)]);
      await log.append(run.runId, 1, [runFailed("charge")], { status: "compensating" });
      await log.append(run.runId, 2, [{ type: "run_redriven", at: T0 + 1, mode: "resume" }], {
        status: "running",
        version: "4",
        now: T0 + 2,
      });
      expect((await log.load(run.runId))?.header).toMatchObject({
        status: "running",
        version: "4",
        updatedAt: T0 + 2,
      });
      // A version change alone rewrites the header too, and the append stays conditional.
      await log.append(run.runId, 3, [{ type: "run_redriven", at: T0 + 3 }], { version: "5" });
      await expect(
        log.append(run.runId, 3, [{ type: "run_redriven", at: T0 + 4 }], { version: "6" }),
      ).rejects.toBeInstanceOf(AppendConflictError);
      const listed = await listAll(log, { workflow: run.workflow, status: "running" });
      expect(listed).toMatchObject([{ runId: run.runId, version: "5", status: "running" }]);
      expect((await log.load(run.runId))?.seq).toBe(4);
    });

    it("filters the list by status and workflow", async () => {
      const workflow = `orders-${randomUUID()}`;
      const other = `refunds-${randomUUID()}`;
      const specs: [string, RunStatus][] = [
        [workflow, "running"],
        [workflow, "running"],
        [workflow, "succeeded"],
        [workflow, "failed"],
        [other, "running"],
      ];
      const created: RunHeader[] = [];
      for (const [i, [wf, status]] of specs.entries()) {
        const run = newRun({ workflow: wf, status, createdAt: T0 + i * 1000 });
        await log.create(run, [started(run)]);
        created.push(run);
      }
      const ids = (runs: readonly RunHeader[]) => runs.map((r) => r.runId).sort();

      expect(ids(await listAll(log, { workflow }))).toEqual(ids(created.slice(0, 4)));
      expect(ids(await listAll(log, { workflow, status: "running" }))).toEqual(
        ids(created.slice(0, 2)),
      );
      expect(ids(await listAll(log, { workflow: other }))).toEqual(ids(created.slice(4)));

      const succeeded = await listAll(log, { status: "succeeded" });
      expect(succeeded.every((h) => h.status === "succeeded")).toBe(true);
      expect(succeeded.map((h) => h.runId)).toContain(created[2]?.runId);
      expect(succeeded.map((h) => h.runId)).not.toContain(created[0]?.runId);
    });

    it("pages through the list newest first without duplicates or gaps", async () => {
      const workflow = `paged-${randomUUID()}`;
      const created: RunHeader[] = [];
      for (let i = 0; i < 25; i++) {
        // Pairs share a createdAt, so that paging must also hold across ties.
        const run = newRun({ workflow, createdAt: T0 + Math.floor(i / 2) * 1000 });
        await log.create(run, [started(run)]);
        created.push(run);
      }

      const pages: (readonly RunHeader[])[] = [];
      let cursor: string | undefined;
      do {
        const page = await log.list({
          workflow,
          limit: 10,
          ...(cursor !== undefined && { cursor }),
        });
        expect(page.runs.length).toBeLessThanOrEqual(10);
        pages.push(page.runs);
        cursor = page.cursor;
        expect(pages.length).toBeLessThan(20);
      } while (cursor !== undefined);

      const listed = pages.flat();
      const ids = listed.map((h) => h.runId);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(created.map((r) => r.runId).sort());
      const times = listed.map((h) => h.createdAt);
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(listed.find((h) => h.runId === created[7]?.runId)).toEqual(created[7]);
    });

    it("loads an unknown run as undefined", async () => {
      expect(await log.load(`missing-${randomUUID()}`)).toBeUndefined();
    });

    it("round-trips event payloads unchanged", async () => {
      const run = newRun();
      const input = {
        order: { id: "ord-1", lines: [{ sku: "A-1", qty: 2, price: 19.99 }], tags: [] },
        customer: {
          name: "Zoë Ångström",
          city: "東京",
          note: '🚀 ünïcödé \u00e9\u0301 "quoted"\n',
        },
        numbers: [0, -1, Math.PI, 1e-7, 6.02e23, Number.MAX_SAFE_INTEGER, -2147483648],
        flags: { yes: true, no: false, nothing: null },
        empty: {},
      };
      const output = { nested: { deeper: { deepest: [[1, [2, [3]]], { k: "v" }] } }, text: "" };
      const events: SagaEvent[] = [
        { ...started(run), input },
        { ...stepSucceeded("reserve", 3), output },
        {
          type: "step_attempt_failed",
          at: T0 + 2_000,
          stepId: "charge",
          attempt: 1,
          startedAt: T0 + 1_500,
          error: {
            code: "unavailable",
            message: "upstream said: ¡no disponible!",
            retryable: true,
            status: 503,
            retryAfterMs: 1_500,
            details: { body: { errors: [{ reason: "busy", when: "2025-01-15T09:30:00Z" }] } },
          },
          retryAt: T0 + 3_500,
        },
      ];
      await log.create(run, events.slice(0, 2));
      await log.append(run.runId, 2, events.slice(2));

      const loaded = await log.load(run.runId);
      expect(loaded?.events).toEqual(numbered(events, 1));
    });
  });
}

/** Reads every page of a listing. */
async function listAll(
  log: SagaLog,
  query: { status?: RunStatus; workflow?: string },
): Promise<RunHeader[]> {
  const runs: RunHeader[] = [];
  let cursor: string | undefined;
  do {
    const page = await log.list({ ...query, limit: 100, ...(cursor !== undefined && { cursor }) });
    runs.push(...page.runs);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return runs;
}

function newRun(overrides: Partial<RunHeader> = {}): RunHeader {
  const runId = `run-${randomUUID()}`;
  return {
    runId,
    workflow: `checkout-${randomUUID()}`,
    version: "3",
    status: "running",
    createdAt: T0,
    updatedAt: T0,
    correlationId: `corr-${runId}`,
    idempotencyKey: `key-${randomUUID()}`,
    ...overrides,
  };
}

function numbered(events: readonly SagaEvent[], firstSeq: number): LoggedEvent[] {
  return events.map((event, i) => ({ ...event, seq: firstSeq + i }));
}

function started(run: RunHeader): RunStarted {
  return {
    type: "run_started",
    at: run.createdAt,
    runId: run.runId,
    workflow: run.workflow,
    version: run.version,
    input: { orderId: "ord-1", amount: 42.5 },
    correlationId: run.correlationId,
    deadlineAt: run.createdAt + 3_600_000,
  };
}

function stepSucceeded(stepId: string, attempt: number): StepSucceeded {
  return {
    type: "step_succeeded",
    at: T0 + 1_000 * attempt,
    stepId,
    attempt,
    startedAt: T0 + 1_000 * attempt - 250,
    output: { id: `${stepId}-result`, ok: true },
  };
}

function stepAttemptFailed(stepId: string, attempt: number): SagaEvent {
  return {
    type: "step_attempt_failed",
    at: T0 + 1_000 * attempt,
    stepId,
    attempt,
    startedAt: T0 + 1_000 * attempt - 250,
    error: { code: "unavailable", message: "service unavailable", retryable: true, status: 503 },
    retryAt: T0 + 1_000 * attempt + 500,
  };
}

function runFailed(stepId: string): SagaEvent {
  return {
    type: "run_failed",
    at: T0 + 10_000,
    stepId,
    error: { code: "failed_precondition", message: "card declined", retryable: false },
  };
}
