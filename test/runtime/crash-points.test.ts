/**
 * Guarantees 1, 4 and 5 under failure: for each example workflow, a worker "crashes"
 * (throws out of the task, which is then redelivered) at every boundary in turn — before
 * a call, after a call but before its checkpoint, after a checkpoint but before the next
 * task is sent, in the middle of compensation — while every task is delivered twice and
 * batches are handled out of order. Every run must end succeeded or fully compensated,
 * with each outcome recorded once and each completed step undone once.
 */
import { describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { sealedSagaLog } from "../../src/adapters/sealing/sealed-saga-log.js";
import { generateSealingKey, parseSealingKeys } from "../../src/adapters/sealing/sealing-keys.js";
import { FINAL_STATUSES } from "../../src/engine/events.js";
import { fold } from "../../src/engine/state.js";
import { silentLogger } from "../../src/ports/logger.js";
import type { SagaLog } from "../../src/ports/saga-log.js";
import type { ServiceCaller } from "../../src/ports/service-caller.js";
import type { TaskQueue } from "../../src/ports/task-queue.js";
import { startRun } from "../../src/runtime/start-run.js";
import { sweep } from "../../src/runtime/sweeper.js";
import { createWorker } from "../../src/runtime/worker.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import type { Workflow } from "../../src/workflow/model.js";
import { createFakeClock } from "../helpers/fake-clock.js";
import { createFakeServices, failure } from "../helpers/fake-services.js";
import { recordingLog } from "../helpers/recording-log.js";
import { workflowFile } from "../helpers/workflows.js";

const SEALING_KEYS = parseSealingKeys(generateSealingKey(), "test key");

type Boundary = "before_call" | "after_call" | "after_checkpoint" | "mid_compensation";
const BOUNDARIES: Boundary[] = [
  "before_call",
  "after_call",
  "after_checkpoint",
  "mid_compensation",
];

/**
 * A crash is modelled as a worker that stops dead: the wrapped port never returns, so
 * nothing after that point runs, and the harness abandons the task as a dead process
 * would (unacked, it is delivered again after its visibility timeout).
 */
function createKillSwitch() {
  let kill: () => void = () => {};
  let killed = new Promise<void>((r) => {
    kill = r;
  });
  return {
    /** Never resolves: the current task is dead from here on. */
    die(): Promise<never> {
      kill();
      return new Promise<never>(() => {});
    },
    /** Resolves when the task in hand has died. */
    get killed() {
      return killed;
    },
    reset() {
      killed = new Promise<void>((r) => {
        kill = r;
      });
    },
  };
}

interface Scenario {
  readonly name: string;
  readonly file: string;
  readonly input: unknown;
  /** Methods that fail terminally, to drive the run into compensation. */
  readonly failing?: string;
  readonly expected: "succeeded" | "compensated";
}

const SCENARIOS: Scenario[] = [
  {
    name: "hello_world",
    file: "examples/workflows/hello_world.yaml",
    input: { name: "Ada" },
    expected: "succeeded",
  },
  {
    name: "order_processing (shipped)",
    file: "examples/workflows/order_processing.yaml",
    input: { order_id: "o1", items: [], amount_cents: 100, address: "1 Rue de la Paix, Paris" },
    expected: "succeeded",
  },
  {
    name: "order_processing (shipping refused)",
    file: "examples/workflows/order_processing.yaml",
    input: { order_id: "o2", items: [], amount_cents: 100, address: "Nowhere Lane 404" },
    failing: "POST /shipments",
    expected: "compensated",
  },
  {
    name: "user_onboarding",
    file: "examples/workflows/user_onboarding.yaml",
    input: { email: "a@b.c", password: "x", name: "A", plan: "pro" },
    expected: "succeeded",
  },
  {
    name: "user_onboarding (activation refused)",
    file: "examples/workflows/user_onboarding.yaml",
    input: { email: "a@b.c", password: "x", name: "A", plan: "pro" },
    failing: "ActivateUser",
    expected: "compensated",
  },
];

/** Deterministic shuffle (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function simulate(
  workflow: Workflow,
  scenario: Scenario,
  crash?: { at: Boundary; nth: number },
) {
  const clock = createFakeClock();
  const random = rng(42);
  const services = createFakeServices();
  if (scenario.failing) services.on(scenario.failing, () => failure("failed_precondition", false));
  const counters: Record<Boundary, number> = {
    before_call: 0,
    after_call: 0,
    after_checkpoint: 0,
    mid_compensation: 0,
  };
  const hit = (b: Boundary) => ++counters[b] === crash?.nth && crash.at === b;

  const process = createKillSwitch();
  const caller: ServiceCaller = {
    async call(request) {
      const compensating = request.idempotencyKey.endsWith("/compensate");
      if (!compensating && hit("before_call")) return process.die();
      const result = await services.call(request);
      if (!compensating && hit("after_call")) return process.die();
      if (compensating && hit("mid_compensation")) return process.die();
      return result;
    },
  };
  // Sealed as on every durable store: order_processing marks the address sensitive.
  const stored = createMemorySagaLog({ clock });
  const workflows = staticWorkflows([workflow]);
  const memoryLog = recordingLog(sealedSagaLog(stored, { keys: SEALING_KEYS, workflows }));
  const log: SagaLog = {
    ...memoryLog,
    async append(runId, seq, events, options) {
      await memoryLog.append(runId, seq, events, options);
      if (hit("after_checkpoint")) await process.die();
    },
  };
  const memoryQueue = createMemoryTaskQueue({ clock });
  // Every task is delivered twice.
  const queue: TaskQueue = {
    ...memoryQueue,
    send: (tasks) => memoryQueue.send([...tasks, ...tasks]),
  };
  const worker = createWorker({
    log,
    queue,
    caller,
    workflows,
    clock,
    logger: silentLogger,
    random,
  });
  let ids = 0;
  const { runId } = await startRun(
    { log, queue, clock, newId: () => `run-${++ids}` },
    { workflow, input: scenario.input },
  );

  let crashes = 0;
  for (let round = 0; round < 3000; round++) {
    const batch = [...(await memoryQueue.receive({ max: 10, waitMs: 0, visibilityMs: 1_000 }))];
    if (batch.length === 0) {
      const loaded = await log.load(runId);
      const state = loaded && fold(loaded.snapshot, loaded.events);
      if (state && FINAL_STATUSES.has(state.status) && memoryQueue.size() === 0) break;
      await sweep({ log, queue, workflows, clock, logger: silentLogger }, { stallMs: 5_000 });
      clock.advance(250);
      continue;
    }
    // Out of order: handle the batch shuffled.
    batch.sort(() => random() - 0.5);
    for (const message of batch) {
      const finished = worker.handle(message.task).then(() => "done" as const);
      if ((await Promise.race([finished, process.killed.then(() => "dead" as const)])) === "dead") {
        crashes++;
        process.reset();
        continue;
      }
      await memoryQueue.ack(message.receipt);
    }
  }
  const loaded = await log.load(runId);
  const state = loaded && fold(loaded.snapshot, loaded.events);
  const atRest = JSON.stringify(await stored.load(runId));
  return { state, history: memoryLog.history(runId), services, counters, crashes, atRest };
}

describe.each(SCENARIOS)("crash points: $name", (scenario) => {
  it("ends succeeded or fully compensated whatever boundary a worker dies at", async () => {
    const workflow = await workflowFile(scenario.file);
    const clean = await simulate(workflow, scenario);
    expect(clean.state?.status).toBe(scenario.expected);
    let runs = 0;
    for (const at of BOUNDARIES) {
      for (let nth = 1; nth <= clean.counters[at]; nth++) {
        const { state, history, services, crashes, atRest } = await simulate(workflow, scenario, {
          at,
          nth,
        });
        const where = `${at} #${nth}`;
        runs++;
        expect(crashes, where).toBe(1);
        expect(state?.status, where).toBe(scenario.expected);
        // The engine worked on the clear input; the store holds it sealed.
        expect(state?.input, where).toEqual(scenario.input);
        if (workflow.sensitive.length > 0) {
          const { address } = scenario.input as { address: string };
          expect(atRest, where).not.toContain(address);
          expect(atRest, where).toContain('"$sealed"');
        }

        // Each step's outcome is recorded once.
        const outcomes = history.filter(
          (e) => e.type === "step_succeeded" || e.type === "step_failed",
        );
        const perStep = new Map<string, number>();
        for (const e of outcomes)
          perStep.set(
            (e as { stepId: string }).stepId,
            (perStep.get((e as { stepId: string }).stepId) ?? 0) + 1,
          );
        expect(
          [...perStep.values()].every((n) => n === 1),
          where,
        ).toBe(true);

        // Every completed step with a compensation is undone exactly once, and nothing else is.
        const completed = history
          .filter((e) => e.type === "step_succeeded")
          .map((e) => (e as { stepId: string }).stepId)
          .filter((id) => workflow.stepsById.get(id)?.compensate);
        const undone = history
          .filter((e) => e.type === "compensation_succeeded")
          .map((e) => (e as { stepId: string }).stepId);
        expect(undone.sort(), where).toEqual(
          scenario.expected === "compensated" ? completed.sort() : [],
        );
        const undoKeys = [...services.effects.keys()].filter((k) => k.endsWith("/compensate"));
        expect(undoKeys.length, where).toBe(undone.length);
        expect(
          [...services.effects.values()].every((n) => n === 1),
          where,
        ).toBe(true);
      }
    }
    expect(runs).toBeGreaterThan(0);
  });
});
