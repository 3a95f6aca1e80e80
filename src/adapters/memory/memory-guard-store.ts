/**
 * The guard store in process memory, for the local runtime and tests: the pure decisions of
 * src/resilience run as they are, one at a time (JavaScript runs one at a time, so each is
 * atomic as the port asks). Breaker states are kept as JSON text, so callers can neither
 * share nor mutate what is stored, as with a real store.
 */
import { FULL_PACE, type Pace, slowedPace, takeToken } from "../../resilience/bucket.js";
import type { GuardStore, RunSlotStore, Versioned } from "../../resilience/guard-store.js";
import { acquireLease, type Leases } from "../../resilience/inflight.js";
import { joinLine } from "../../resilience/line.js";
import { takeSlot } from "../../resilience/run-slots.js";

interface ServiceState {
  breaker?: { version: number; json: string };
  tat?: number;
  pace: Pace;
  leases: Leases;
  averageMs?: number;
  lines: { bucket?: number; inflight?: number };
}

export function createMemoryGuardStore(): GuardStore & RunSlotStore {
  const services = new Map<string, ServiceState>();
  const of = (service: string): ServiceState => {
    let state = services.get(service);
    if (!state) {
      state = { pace: FULL_PACE, leases: {}, lines: {} };
      services.set(service, state);
    }
    return state;
  };
  const slots = new Map<string, Leases>();
  const breaker = (service: string): Versioned | undefined => {
    const record = services.get(service)?.breaker;
    return record && { version: record.version, state: JSON.parse(record.json) };
  };

  return {
    async readBreaker(service) {
      return breaker(service);
    },

    async writeBreaker(service, state, expectedVersion) {
      const s = of(service);
      const version = s.breaker?.version ?? 0;
      if (version !== expectedVersion) return { ok: false, current: breaker(service) };
      s.breaker = { version: version + 1, json: JSON.stringify(state) };
      return { ok: true, version: version + 1 };
    },

    async takeToken(service, { now, intervalMs, toleranceMs }) {
      const s = of(service);
      const decision = takeToken(s.tat, now, intervalMs, toleranceMs);
      if (decision.taken) s.tat = decision.tat;
      return { taken: decision.taken, nextAt: decision.tat, pace: s.pace };
    },

    async slowDown(service, { now, debounceMs, until }) {
      const s = of(service);
      if (until !== undefined && (s.tat === undefined || s.tat < until)) s.tat = until;
      if (s.pace.throttledAt > now - debounceMs) return false;
      s.pace = slowedPace(s.pace, now);
      return true;
    },

    async acquireLease(service, { now, max, id, until }) {
      const s = of(service);
      const live = Object.entries(s.leases).filter(([, expiry]) => expiry > now);
      s.leases = Object.fromEntries(live);
      const decision = acquireLease(s.leases, now, max, { id, until });
      if (!decision.acquired) {
        return { acquired: false, soonestExpiry: decision.soonestExpiry, averageMs: s.averageMs };
      }
      s.leases = decision.leases;
      return { acquired: true };
    },

    async releaseLease(service, id, averageMs) {
      const s = of(service);
      const { [id]: _released, ...rest } = s.leases;
      s.leases = rest;
      if (averageMs !== undefined) s.averageMs = averageMs;
    },

    async takeRunSlot(slot, { now, max, id, until }) {
      const decision = takeSlot(slots.get(slot), now, max, { id, until });
      if (!decision.acquired) return { acquired: false, soonestExpiry: decision.soonestExpiry };
      slots.set(slot, decision.leases);
      return { acquired: true };
    },

    async releaseRunSlot(slot, runId) {
      const { [runId]: _released, ...rest } = slots.get(slot) ?? {};
      slots.set(slot, rest);
    },

    async readRunSlots(slot) {
      return { ...slots.get(slot) };
    },

    async joinLine(service, line, { from, spacingMs }) {
      const s = of(service);
      const { slot, end } = joinLine(s.lines[line], from, spacingMs);
      s.lines[line] = end;
      return slot;
    },
  };
}
