/**
 * A saga log that keeps the workflow's `sensitive` values sealed at rest: events and
 * snapshots are sealed on their way in and opened on their way out, so the stored items
 * (DynamoDB, the embedded SQLite file, backups of either) hold envelopes, and the engine,
 * the API and everything above this log see the clear values — which the read boundaries
 * then mask.
 *
 * Sealing echoes needs the values the run holds so far, so the log keeps, per run, what it
 * learnt from the last load and from its own appends. An append whose `expectedSeq` is not
 * where that knowledge ends (another process wrote since, or the run fell out of the cache)
 * reloads the run first: one extra read, only then.
 */
import { createRunSealing, openSealed, type RunSealing } from "../../engine/sealing.js";
import type { LoadedRun, SagaLog } from "../../ports/saga-log.js";
import type { WorkflowSource } from "../../runtime/workflow-source.js";
import type { SealingKeys } from "./sealing-keys.js";

export interface SealedSagaLogOptions {
  readonly keys: SealingKeys;
  /** Where a run's pinned definition (and its `sensitive` paths) is found. */
  readonly workflows: WorkflowSource;
  /** Runs whose learnt values are kept between calls. @default 1000 */
  readonly cacheSize?: number;
}

interface Known {
  readonly sealing: RunSealing | undefined;
  seq: number;
}

export function sealedSagaLog(inner: SagaLog, options: SealedSagaLogOptions): SagaLog {
  const cacheSize = options.cacheSize ?? 1000;
  const known = new Map<string, Known>();
  const remember = (runId: string, entry: Known) => {
    known.delete(runId);
    known.set(runId, entry);
    if (known.size > cacheSize) known.delete(known.keys().next().value as string);
  };
  const sealingFor = async (runId: string, workflow: string, version: string) => {
    const definition = await options.workflows.get(workflow, version);
    // A run whose definition is gone cannot be told apart from one without sensitive
    // fields; nothing new of it is sealed (what was sealed still opens).
    if (definition === undefined || definition.sensitive.length === 0) return undefined;
    return createRunSealing(definition, options.keys.forRun(runId));
  };

  /** Opens a loaded run and learns its sensitive values under `version`'s paths. */
  const open = async (loaded: LoadedRun, version: string): Promise<LoadedRun> => {
    const runId = loaded.header.runId;
    const seal = options.keys.forRun(runId);
    const snapshot = loaded.snapshot && openSealed(loaded.snapshot, seal);
    const events = openSealed(loaded.events, seal);
    const sealing = await sealingFor(runId, loaded.header.workflow, version);
    if (sealing) {
      if (snapshot) sealing.learnState(snapshot);
      for (const event of events) sealing.learnEvent(event);
    }
    remember(runId, { sealing, seq: loaded.seq });
    return { ...loaded, ...(snapshot && { snapshot }), events };
  };

  const load: SagaLog["load"] = async (runId) => {
    const loaded = await inner.load(runId);
    if (loaded === undefined) {
      known.delete(runId);
      return undefined;
    }
    return open(loaded, loaded.header.version);
  };

  const sealed: SagaLog = {
    async create(header, events, createOptions) {
      const sealing = await sealingFor(header.runId, header.workflow, header.version);
      const stored = sealing ? events.map((e) => sealing.sealEvent(e)) : events;
      const result = await inner.create(header, stored, createOptions);
      if (result.created) remember(header.runId, { sealing, seq: events.length });
      else known.delete(result.runId);
      return result;
    },
    async append(runId, expectedSeq, events, appendOptions = {}) {
      let entry = known.get(runId);
      if (entry?.seq !== expectedSeq || appendOptions.version !== undefined) {
        // A run moving to another version is sealed under that version's paths from now on.
        const loaded = await inner.load(runId);
        if (loaded) await open(loaded, appendOptions.version ?? loaded.header.version);
        else known.delete(runId);
        entry = known.get(runId);
      }
      const sealing = entry?.sealing;
      const stored = sealing ? events.map((e) => sealing.sealEvent(e)) : events;
      const snapshot =
        sealing && appendOptions.snapshot
          ? sealing.sealState(appendOptions.snapshot)
          : appendOptions.snapshot;
      try {
        await inner.append(runId, expectedSeq, stored, {
          ...appendOptions,
          ...(snapshot && { snapshot }),
        });
      } catch (error) {
        known.delete(runId);
        throw error;
      }
      if (entry) remember(runId, { sealing, seq: expectedSeq + events.length });
    },
    load,
    list: (query) => inner.list(query),
  };
  const history = inner.events?.bind(inner);
  if (history) {
    sealed.events = async (runId, afterSeq) =>
      openSealed(await history(runId, afterSeq), options.keys.forRun(runId));
  }
  return sealed;
}
