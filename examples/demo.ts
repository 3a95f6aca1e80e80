/**
 * `npm run demo`: starts the example services on free loopback ports (gRPC services in
 * TypeScript, HTTP services in TypeScript and Python), runs workflows through Maestro's
 * local runtime — successes, a run that rides out a flaky service with retries, and sagas
 * that fail late and are compensated — prints what happened, and stops everything it
 * started.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { createMemorySagaLog } from "../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../src/adapters/memory/memory-task-queue.js";
import { createConnectCaller } from "../src/callers/connect-caller.js";
import { dispatchByType } from "../src/callers/dispatch.js";
import { createHttpCaller } from "../src/callers/http-caller.js";
import { renderTimeline } from "../src/cli/render-timeline.js";
import { timeline } from "../src/engine/timeline.js";
import { createLocalRuntime } from "../src/runtime/local-runtime.js";
import { staticWorkflows } from "../src/runtime/workflow-source.js";
import { withEndpoints } from "../src/workflow/endpoints.js";
import { loadWorkflowFile } from "../src/workflow/load.js";
import type { Workflow } from "../src/workflow/model.js";
import { startAuthService } from "./services/auth/server.js";
import { startBillingService } from "./services/billing/server.js";
import { DISPOSABLE_DOMAIN, startCrm } from "./services/crm.js";
import { startEmailService } from "./services/email/server.js";
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

/** The Python greeter when python3 is there (polyglot!), the TypeScript one otherwise. */
async function greeterService(): Promise<{ name: string; url: string; close(): Promise<void> }> {
  if (spawnSync("python3", ["--version"]).status !== 0) return startGreeter();
  const child: ChildProcess = spawn("python3", ["examples/services/python/greeter.py", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    if (line.startsWith("greeter=")) {
      return { name: "greeter (python)", url: line.slice(8), close: async () => void child.kill() };
    }
  }
  throw new Error("the python greeter did not start");
}

const shop = await startShop();
const greeter = await greeterService();
const [auth, billing, email, crm] = await Promise.all([
  startAuthService(),
  startBillingService(),
  startEmailService(),
  startCrm(),
]);
const queue = createMemoryTaskQueue();
const connect = createConnectCaller();
let failed = false;
try {
  console.log(bold("Maestro demo"));
  console.log("Example services on loopback:");
  const listed = [
    [greeter.name, `${greeter.url}  (HTTP)`],
    ...[shop.inventory, shop.payments, shop.shipping, crm].map((s) => [s.name, `${s.url}  (HTTP)`]),
    ["auth", `${auth.url}  (gRPC, Connect, gRPC-web)`],
    ["billing", `${billing.url}  (gRPC, Connect, gRPC-web)`],
    ["email", `${email.url}  (gRPC, Connect, gRPC-web)`],
  ];
  for (const [name, url] of listed) console.log(`  ${String(name).padEnd(17)} ${url}`);
  const hello = await load("examples/workflows/hello_world.yaml", { greeter: greeter.url });
  const orders = await load("examples/workflows/order_processing.yaml", shop.endpoints);
  const onboarding = await load("examples/workflows/user_onboarding.yaml", {
    auth_service: `127.0.0.1:${auth.port}`,
    billing_service: billing.url,
    email_service: email.url,
    crm_service: crm.url,
  });
  const runtime = createLocalRuntime({
    log: createMemorySagaLog(),
    queue,
    caller: dispatchByType({
      http: createHttpCaller(),
      grpc: connect,
      connect,
      "grpc-web": connect,
    }),
    workflows: staticWorkflows([hello, orders, onboarding]),
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
      title: "user_onboarding: gRPC + HTTP, a parallel group, a condition, a sleep",
      workflow: onboarding,
      input: {
        email: "ada@example.com",
        password: "correct horse battery staple",
        name: "Ada",
        plan: "pro",
      },
      expect: "succeeded",
    },
    {
      title: `user_onboarding: the CRM refuses a ${DISPOSABLE_DOMAIN} address — subscription and user are undone`,
      workflow: onboarding,
      input: {
        email: `grace@${DISPOSABLE_DOMAIN}`,
        password: "correct horse battery staple",
        name: "Grace",
        plan: "pro",
      },
      expect: "compensated",
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
  await connect.close();
  await Promise.all([
    shop.close(),
    greeter.close(),
    auth.close(),
    billing.close(),
    email.close(),
    crm.close(),
  ]);
}
process.exitCode = failed ? 1 : 0;
