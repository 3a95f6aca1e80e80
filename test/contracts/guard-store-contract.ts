/**
 * What every GuardStore must do, written once and run against each implementation (memory,
 * DynamoDB Local). Only the port is used. Each test uses service names of its own, so `setup`
 * may hand every test the same store. The atomic operations are checked against the pure
 * functions they stand for (bucket.ts, inflight.ts, line.ts), including under concurrency.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FULL_PACE, slowedPace } from "../../src/resilience/bucket.js";
import type { GuardStore, RunSlotStore } from "../../src/resilience/guard-store.js";

const T0 = Date.UTC(2026, 0, 1);

export function runGuardStoreContract(
  name: string,
  setup: () => Promise<GuardStore & RunSlotStore>,
): void {
  describe(`GuardStore contract: ${name}`, () => {
    const service = () => `svc-${randomUUID()}`;

    describe("breaker records (compare-and-set)", () => {
      it("has no record for a service never written", async () => {
        const store = await setup();
        expect(await store.readBreaker(service())).toBeUndefined();
      });

      it("creates at version 1, and reads back what was written", async () => {
        const store = await setup();
        const s = service();
        const state = { status: "closed", n: 3, rate: 0.25, nested: { list: [1, "two", null] } };
        expect(await store.writeBreaker(s, state, 0)).toEqual({ ok: true, version: 1 });
        expect(await store.readBreaker(s)).toEqual({ version: 1, state });
        expect(await store.writeBreaker(s, { n: 2 }, 1)).toEqual({ ok: true, version: 2 });
        expect(await store.readBreaker(s)).toEqual({ version: 2, state: { n: 2 } });
      });

      it("refuses a stale version and returns what is stored, unchanged", async () => {
        const store = await setup();
        const s = service();
        await store.writeBreaker(s, { n: 1 }, 0);
        await store.writeBreaker(s, { n: 2 }, 1);
        const current = { version: 2, state: { n: 2 } };
        expect(await store.writeBreaker(s, { n: 99 }, 1)).toEqual({ ok: false, current });
        expect(await store.writeBreaker(s, { n: 99 }, 0)).toEqual({ ok: false, current });
        expect(await store.readBreaker(s)).toEqual(current);
        const fresh = service();
        expect(await store.writeBreaker(fresh, { n: 1 }, 3)).toEqual({
          ok: false,
          current: undefined,
        });
      });

      it("lets exactly one of many writers racing from the same version win", async () => {
        const store = await setup();
        const s = service();
        await store.writeBreaker(s, { winner: "none" }, 0);
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => store.writeBreaker(s, { winner: `w${i}` }, 1)),
        );
        const winners = results.flatMap((r, i) => (r.ok ? [i] : []));
        expect(winners).toHaveLength(1);
        expect(await store.readBreaker(s)).toEqual({
          version: 2,
          state: { winner: `w${winners[0]}` },
        });
      });

      it("loses no update when writers retry with what a conflict returned", async () => {
        const store = await setup();
        const s = service();
        const increment = async () => {
          let seen = await store.readBreaker(s);
          for (;;) {
            const n = ((seen?.state as { n?: number } | undefined)?.n ?? 0) + 1;
            const put = await store.writeBreaker(s, { n }, seen?.version ?? 0);
            if (put.ok) return;
            seen = put.current;
          }
        };
        await Promise.all(Array.from({ length: 8 }, () => increment()));
        expect(await store.readBreaker(s)).toEqual({ version: 8, state: { n: 8 } });
      });

      it("keeps services apart whatever their names, and stores copies", async () => {
        const store = await setup();
        const s = `pay#ments/ü-${randomUUID()}`;
        const state = { leases: { a: 1 } as Record<string, number> };
        await store.writeBreaker(s, state, 0);
        await store.writeBreaker(`${s}x`, { other: true }, 0);
        state.leases.b = 2;
        const read = (await store.readBreaker(s))?.state as typeof state | undefined;
        if (read) read.leases.c = 3;
        expect(await store.readBreaker(s)).toEqual({ version: 1, state: { leases: { a: 1 } } });
      });
    });

    describe("token buckets (takeToken in bucket.ts)", () => {
      // 10 calls a second, burst 3: tokens at 100 ms intervals, tat up to 200 ms ahead.
      const ask = (now: number) => ({ now, intervalMs: 100, toleranceMs: 200 });

      it("admits a burst at once, then one call per interval", async () => {
        const store = await setup();
        const s = service();
        const answers = [];
        for (let i = 0; i < 4; i++) answers.push(await store.takeToken(s, ask(T0)));
        expect(answers.map((a) => a.taken)).toEqual([true, true, true, false]);
        expect(answers.map((a) => a.nextAt)).toEqual([T0 - 100, T0, T0 + 100, T0 + 100]);
        expect(answers[0]?.pace).toEqual(FULL_PACE);
        expect((await store.takeToken(s, ask(T0 + 99))).taken).toBe(false);
        expect((await store.takeToken(s, ask(T0 + 100))).taken).toBe(true);
        // Idle for a while: the bucket is full again, not fuller.
        const later = [];
        for (let i = 0; i < 4; i++) later.push((await store.takeToken(s, ask(T0 + 60_000))).taken);
        expect(later).toEqual([true, true, true, false]);
      });

      it("gives exactly `burst` tokens to many workers asking at once", async () => {
        const store = await setup();
        const s = service();
        const answers = await Promise.all(
          Array.from({ length: 20 }, () =>
            store.takeToken(s, { now: T0, intervalMs: 50, toleranceMs: 200 }),
          ),
        );
        expect(answers.filter((a) => a.taken)).toHaveLength(5);
        expect(Math.max(...answers.map((a) => a.nextAt))).toBe(T0 + 50);
      });

      it("slows down once per debounce period, and holds calls until a Retry-After", async () => {
        const store = await setup();
        const s = service();
        expect(await store.slowDown(s, { now: T0, debounceMs: 1_000 })).toBe(true);
        expect(await store.slowDown(s, { now: T0 + 999, debounceMs: 1_000 })).toBe(false);
        const halved = slowedPace(FULL_PACE, T0);
        expect((await store.takeToken(s, ask(T0))).pace).toEqual(halved);
        expect(await store.slowDown(s, { now: T0 + 1_000, debounceMs: 1_000 })).toBe(true);
        expect((await store.takeToken(s, ask(T0 + 1_000))).pace).toEqual(
          slowedPace(halved, T0 + 1_000),
        );

        const paused = service();
        await store.slowDown(paused, { now: T0, debounceMs: 1_000, until: T0 + 5_000 });
        expect(await store.takeToken(paused, ask(T0 + 4_999))).toMatchObject({
          taken: false,
          nextAt: T0 + 5_000,
        });
        expect((await store.takeToken(paused, ask(T0 + 5_000))).taken).toBe(true);
        // A Retry-After never brings the bucket's clock back.
        await store.slowDown(paused, { now: T0, debounceMs: 1_000, until: T0 });
        expect((await store.takeToken(paused, ask(T0 + 5_000))).taken).toBe(false);
      });

      it("lowers the pace once when many workers are pushed back at once", async () => {
        const store = await setup();
        const s = service();
        const lowered = await Promise.all(
          Array.from({ length: 8 }, () => store.slowDown(s, { now: T0, debounceMs: 1_000 })),
        );
        expect(lowered.filter(Boolean)).toHaveLength(1);
      });
    });

    describe("leases (acquireLease in inflight.ts)", () => {
      const lease = (id: string, until = T0 + 60_000) => ({ now: T0, max: 2, id, until });

      it("grants up to max, then says when the first expires and how long calls take", async () => {
        const store = await setup();
        const s = service();
        expect(await store.acquireLease(s, lease("a", T0 + 5_000))).toEqual({ acquired: true });
        expect(await store.acquireLease(s, lease("b", T0 + 3_000))).toEqual({ acquired: true });
        expect(await store.acquireLease(s, lease("c"))).toEqual({
          acquired: false,
          soonestExpiry: T0 + 3_000,
          averageMs: undefined,
        });
        await store.releaseLease(s, "a", 120);
        await store.releaseLease(s, "a", 120); // twice is once
        await store.releaseLease(s, "never-held");
        expect(await store.acquireLease(s, lease("c"))).toEqual({ acquired: true });
        expect(await store.acquireLease(s, lease("d"))).toMatchObject({
          acquired: false,
          averageMs: 120,
        });
      });

      it("frees the leases of workers that died once they expire", async () => {
        const store = await setup();
        const s = service();
        await store.acquireLease(s, lease("dead1", T0 + 1_000));
        await store.acquireLease(s, lease("dead2", T0 + 2_000));
        const at = (now: number, id: string) => store.acquireLease(s, { ...lease(id), now });
        expect((await at(T0 + 999, "x")).acquired).toBe(false);
        expect(await at(T0 + 1_000, "x")).toEqual({ acquired: true });
        expect((await at(T0 + 1_500, "y")).acquired).toBe(false);
        expect(await at(T0 + 2_000, "y")).toEqual({ acquired: true });
        expect((await at(T0 + 2_000, "z")).acquired).toBe(false);
      });

      it("grants exactly max leases to many workers asking at once", async () => {
        const store = await setup();
        const s = service();
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.acquireLease(s, { ...lease(`w${i}`), max: 5 }),
          ),
        );
        expect(answers.filter((a) => a.acquired)).toHaveLength(5);
      });
    });

    describe("run slots (takeSlot in run-slots.ts)", () => {
      const ask = (id: string, until = T0 + 60_000) => ({ now: T0, max: 2, id, until });

      it("grants up to max runs, again to a run that holds one, and frees released slots", async () => {
        const store = await setup();
        const slot = `wf-${randomUUID()}#customer #1`;
        expect(await store.takeRunSlot(slot, ask("run-a", T0 + 5_000))).toEqual({ acquired: true });
        expect(await store.takeRunSlot(slot, ask("run-b", T0 + 3_000))).toEqual({ acquired: true });
        expect(await store.takeRunSlot(slot, ask("run-c"))).toEqual({
          acquired: false,
          soonestExpiry: T0 + 3_000,
        });
        // A duplicate delivery of run-a's first step: it keeps its slot and counts once.
        expect(await store.takeRunSlot(slot, ask("run-a", T0 + 9_000))).toEqual({ acquired: true });
        expect(await store.readRunSlots(slot)).toEqual({
          "run-a": T0 + 9_000,
          "run-b": T0 + 3_000,
        });
        await store.releaseRunSlot(slot, "run-a");
        await store.releaseRunSlot(slot, "run-a"); // twice is once
        await store.releaseRunSlot(slot, "never-held");
        await store.releaseRunSlot(`wf-${randomUUID()}`, "run-a"); // a record never written
        expect(await store.readRunSlots(slot)).toEqual({ "run-b": T0 + 3_000 });
        expect(await store.takeRunSlot(slot, ask("run-c"))).toEqual({ acquired: true });
        expect((await store.takeRunSlot(slot, ask("run-d"))).acquired).toBe(false);
        // Keys are separate limits.
        expect(await store.takeRunSlot(`${slot}x`, ask("run-d"))).toEqual({ acquired: true });
        expect(await store.readRunSlots(`wf-${randomUUID()}`)).toEqual({});
      });

      it("frees the slot of a run whose release was lost once it expires", async () => {
        const store = await setup();
        const slot = `wf-${randomUUID()}`;
        await store.takeRunSlot(slot, { ...ask("lost"), max: 1, until: T0 + 1_000 });
        const at = (now: number) => store.takeRunSlot(slot, { ...ask("next"), max: 1, now });
        expect(await at(T0 + 999)).toEqual({ acquired: false, soonestExpiry: T0 + 1_000 });
        expect(await at(T0 + 1_000)).toEqual({ acquired: true });
        expect(Object.keys(await store.readRunSlots(slot))).toEqual(["next"]);
      });

      it("grants exactly max slots to many runs asking at once", async () => {
        const store = await setup();
        const slot = `wf-${randomUUID()}`;
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.takeRunSlot(slot, { ...ask(`run-${i}`), max: 3 }),
          ),
        );
        expect(answers.filter((a) => a.acquired)).toHaveLength(3);
        expect(Object.keys(await store.readRunSlots(slot))).toHaveLength(3);
      });
    });

    describe("lines (joinLine in line.ts)", () => {
      it("gives each held-back call the next slot, from `from` or the end of the line", async () => {
        const store = await setup();
        const s = service();
        const join = (from: number) => store.joinLine(s, "bucket", { from, spacingMs: 100 });
        expect(await join(T0)).toBe(T0);
        expect(await join(T0)).toBe(T0 + 100);
        expect(await join(T0 + 150)).toBe(T0 + 200);
        expect(await join(T0 + 1_000)).toBe(T0 + 1_000);
        // Each line is its own: the in-flight line of this service, the bucket line of another.
        expect(await store.joinLine(s, "inflight", { from: T0, spacingMs: 10 })).toBe(T0);
        expect(await store.joinLine(service(), "bucket", { from: T0, spacingMs: 10 })).toBe(T0);
      });

      it("gives many calls held back at once distinct slots, one spacing apart", async () => {
        const store = await setup();
        const s = service();
        const slots = await Promise.all(
          Array.from({ length: 10 }, () =>
            store.joinLine(s, "inflight", { from: T0, spacingMs: 100 }),
          ),
        );
        expect([...slots].sort((a, b) => a - b)).toEqual(
          Array.from({ length: 10 }, (_, i) => T0 + i * 100),
        );
      });
    });
  });
}
