/**
 * The in-flight cap's decisions, pure. Each admitted call holds a lease (id → expiry) until it
 * reports back; a worker that dies mid-call leaves a lease that simply expires, so slots never
 * leak for longer than the call's timeout plus a margin.
 */

export type Leases = Readonly<Record<string, number>>;

export type LeaseDecision =
  | { readonly acquired: true; readonly leases: Leases }
  | {
      readonly acquired: false;
      /** Leases whose expiry has passed: to be removed before trying again. */
      readonly expired: readonly string[];
      readonly soonestExpiry: number;
    };

/** A lease if fewer than `max` are held; expired leases are reported, not counted as free. */
export function acquireLease(
  leases: Leases | undefined,
  now: number,
  max: number,
  lease: { readonly id: string; readonly until: number },
): LeaseDecision {
  const held = Object.entries(leases ?? {});
  if (held.length < max) return { acquired: true, leases: { ...leases, [lease.id]: lease.until } };
  return {
    acquired: false,
    expired: held.filter(([, until]) => until <= now).map(([id]) => id),
    soonestExpiry: Math.min(...held.map(([, until]) => until)),
  };
}

/** The average call duration used before any call has reported back. */
export const INITIAL_AVERAGE_MS = 1_000;
/** Weight of the newest duration in the moving average. */
const SMOOTHING = 0.2;

export function smoothAverage(average: number | undefined, durationMs: number): number {
  const d = Math.max(0, durationMs);
  return average === undefined ? d : average + SMOOTHING * (d - average);
}

/**
 * When a held-back call should come back: a slot frees about every `average / max`, and no later
 * than the first lease expires.
 */
export function slotEstimate(
  now: number,
  max: number,
  averageMs: number | undefined,
  soonestExpiry: number,
): { from: number; spacingMs: number } {
  const spacingMs = Math.max(1, (averageMs ?? INITIAL_AVERAGE_MS) / max);
  return { from: Math.max(now + 1, Math.min(now + spacingMs, soonestExpiry)), spacingMs };
}
