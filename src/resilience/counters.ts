/**
 * Counting metrics, as small as a port can be: the guard counts breaker transitions and
 * held-back calls through it, and whoever serves /metrics reads the memory implementation
 * (or adapts `increment` to prom-client / EMF).
 */

export type Labels = Readonly<Record<string, string>>;

export interface Counters {
  increment(name: string, labels?: Labels): void;
}

export interface CounterEntry {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

/** Counters held in memory: what was incremented, by name and labels. */
export interface MemoryCounters extends Counters {
  value(name: string, labels?: Labels): number;
  /** Every counter with its labels, in the order first incremented. */
  entries(): CounterEntry[];
}

export const noCounters: Counters = { increment() {} };

export function createMemoryCounters(): MemoryCounters {
  const counts = new Map<string, CounterEntry>();
  const keyOf = (name: string, labels: Labels) =>
    `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
  return {
    increment(name, labels = {}) {
      const key = keyOf(name, labels);
      const entry = counts.get(key);
      counts.set(key, { name, labels: { ...labels }, value: (entry?.value ?? 0) + 1 });
    },
    value: (name, labels = {}) => counts.get(keyOf(name, labels))?.value ?? 0,
    entries: () => [...counts.values()],
  };
}
