export {
  type BacklogProbe,
  memoryBacklogProbe,
  type OverflowOptions,
  type OverflowVerdict,
  overflowCheck,
} from "./backlog.js";
export {
  type CallGuardOptions,
  createCallGuard,
  GUARD_METRICS,
  HOLD_REASONS,
} from "./call-guard.js";
export {
  type CounterEntry,
  type Counters,
  createMemoryCounters,
  type Labels,
  type MemoryCounters,
  noCounters,
} from "./counters.js";
export {
  ContentionError,
  type GuardState,
  type GuardStore,
  type LeaseAnswer,
  type LeaseAsk,
  type PutResult,
  type RunSlotStore,
  type SlotAnswer,
  type SlowDownAsk,
  type TokenAnswer,
  type TokenAsk,
  type Versioned,
} from "./guard-store.js";
export {
  DEFAULT_SLOT_WAIT,
  type SlotDecision,
  type SlotWait,
  slotName,
  slotRetryAt,
  takeSlot,
} from "./run-slots.js";
