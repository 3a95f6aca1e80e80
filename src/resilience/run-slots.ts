/**
 * A workflow's concurrency limit (`concurrency: { max, key }`), pure. Each admitted run holds
 * a slot (run id → expiry) in one record per workflow and key until it ends. Unlike a call's
 * lease, taking a slot is idempotent: a run that already holds one (a duplicate delivery, a
 * parallel first step) gets it again, so a run never counts twice against the limit.
 */
import type { Leases } from "./inflight.js";

export type SlotDecision =
  | { readonly acquired: true; readonly leases: Leases }
  | { readonly acquired: false; readonly soonestExpiry: number };

/**
 * The record's slots after `runId` asks for one at `now`. Expired slots (a run whose release
 * was lost) do not count; the caller removes them.
 */
export function takeSlot(
  leases: Leases | undefined,
  now: number,
  max: number,
  slot: { readonly id: string; readonly until: number },
): SlotDecision {
  const live = Object.entries(leases ?? {}).filter(([, until]) => until > now);
  const held = live.some(([id]) => id === slot.id);
  if (held || live.length < max) {
    return { acquired: true, leases: { ...Object.fromEntries(live), [slot.id]: slot.until } };
  }
  return { acquired: false, soonestExpiry: Math.min(...live.map(([, until]) => until)) };
}

/**
 * The name of the record a run's slot lives in: the workflow's name, and the key's value
 * when the limit is per key. Workflow names contain no `#`, so any key is unambiguous.
 */
export function slotName(workflow: string, key: string | undefined): string {
  return key === undefined ? workflow : `${workflow}#${key}`;
}

export interface SlotWait {
  /** The first wait of a run held back. @default 1000 */
  readonly minMs: number;
  /** The longest wait between two looks. @default 30000 */
  readonly maxMs: number;
}

export const DEFAULT_SLOT_WAIT: SlotWait = { minMs: 1_000, maxMs: 30_000 };

/**
 * When a run held back looks for a slot again. Nothing tells a waiting run that a slot came
 * free, so it looks again: soon at first, then less often the longer it has waited (half the
 * time waited so far, within `minMs`..`maxMs`), and no later than the first slot expires.
 * `random` in [0, 1) spreads the waiting runs' looks by up to a quarter.
 */
export function slotRetryAt(
  now: number,
  waitingSince: number,
  soonestExpiry: number,
  wait: SlotWait,
  random: number,
): number {
  const base = Math.min(wait.maxMs, Math.max(wait.minMs, (now - waitingSince) / 2));
  const spread = base * (1 + random / 4);
  return Math.ceil(Math.max(now + 1, Math.min(now + spread, soonestExpiry)));
}
