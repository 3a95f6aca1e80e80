/**
 * `npm run demo`: starts the example services on free loopback ports, runs workflows
 * through Maestro's local runtime — a success, a run that rides out a flaky service with
 * retries, and a saga that fails late and is compensated — prints what happened, and
 * stops everything it started.
 */
import { createMemorySagaLog } from "../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../src/adapters/memory/memory-task-queue.js";
import { dispatchByType } from "../src/callers/dispatch.js";
import { createHttpCaller } from "../src/callers/http-caller.js";
import { renderTimeline } from "../src/cli/render-timeline.js";
import { timeline } from "../src/engine/timeline.js";
import { createLocalRuntime } from "../src/runtime/local-runtime.js";
import { staticWorkflows } from "../src/runtime/workflow-source.js";
import { withEndpoints } from "../src/workflow/endpoints.js";
import { loadWorkflowFile } from "../src/workflow/load.js";
import type { Workflow } from "../src/workflow/model.js";
import { startGreeter } from "./services/greeter.js";
import { startShop } from "./services/shop.js";

const bold = (t: string) => (process.stdout.isTTY ? `\x1b[1m${t}\x1b[0m` : t);

async function load(file: string, endpoints: Record<string, string>): Promise<Workflow> {
  const result = await loadWorkflowFile(file);
  if (!result.ok)
    throw new Error(`${file} is invalid: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return withEndpoints(
    result.workflow,
    new Map(Object.entries(endpoints).map(([k, v]) => [k, [v]])),
  );
}

const shop = await startShop();
const greeter = await startGreeter();
const queue = createMemoryTaskQueue();
let failed = false;
try {
  console.log(bold("Maestro demo"));
  console.log("Example services on loopback:");
  for (const s of [greeter, shop.inventory, shop.payments, shop.shipping])
    console.log(`  ${s.name.padEnd(10)} ${s.url}`);
  const hello = await load("examples/workflows/hello_world.yaml", { greeter: greeter.url });
  const orders = await load("examples/workflows/order_processing.yaml", shop.endpoints);
  const runtime = createLocalRuntime({
    log: createMemorySagaLog(),
    queue,
    caller: dispatchByType({ http: createHttpCaller() }),
    workflows: staticWorkflows([hello, orders]),
    concurrency: 4,
  });
  runtime.start();

  const scenarios: {
    title: string;
    workflow: Workflow;
    input: unknown;
    expect: string;
    before?: () => void;
  }[] = [
    {
      title: "hello_world: one HTTP call",
      workflow: hello,
      input: { name: "Ada" },
      expect: "succeeded",
    },
    {
      title: "order_processing: an order that ships",
      workflow: orders,
      input: {
        order_id: "ord-1001",
        items: [{ sku: "book-42", quantity: 2 }],
        amount_cents: 4200,
        address: "1 Analytical Engine Way",
      },
      expect: "succeeded",
    },
    {
      title: "order_processing: payments answers 503 twice, then recovers (retries, one charge)",
      workflow: orders,
      input: { order_id: "ord-1002", items: [], amount_cents: 990, address: "2 Difference Street" },
      expect: "succeeded",
      before: () =>
        shop.payments.state.faults.set("POST /charges", {
          route: "POST /charges",
          mode: "times",
          count: 2,
          status: 503,
        }),
    },
    {
      title: "order_processing: shipping refuses the address — the saga is compensated",
      workflow: orders,
      input: {
        order_id: "ord-1003",
        items: [{ sku: "book-42", quantity: 1 }],
        amount_cents: 2100,
        address: "nowhere",
      },
      expect: "compensated",
    },
  ];
  for (const scenario of scenarios) {
    scenario.before?.();
    console.log(`\n${bold(`▶ ${scenario.title}`)}`);
    const started = Date.now();
    const { runId } = await runtime.startRun({
      workflow: scenario.workflow,
      input: scenario.input,
    });
    const state = await runtime.waitForRun(runId, { timeoutMs: 30_000 });
    process.stdout.write(renderTimeline(timeline(scenario.workflow, state)));
    const outcome =
      state.status === "succeeded"
        ? `output ${JSON.stringify(state.output)}`
        : (state.failure?.error.message ?? "");
    console.log(
      `  ${state.status === scenario.expect ? "✓" : "✗"} run ${runId}: ${bold(state.status)} in ${Date.now() - started}ms — ${outcome}`,
    );
    if (state.status !== scenario.expect) failed = true;
  }
  const charges = shop.payments.effects("POST /charges").length;
  const refunds = shop.payments.effects("POST /charges/:id/refunds").length;
  console.log(
    `\nPayments performed ${charges} charges and ${refunds} refund (idempotency keys kept retries from charging twice).`,
  );
  queue.close();
  await runtime.stop();
} finally {
  queue.close();
  await Promise.all([shop.close(), greeter.close()]);
}
process.exitCode = failed ? 1 : 0;
