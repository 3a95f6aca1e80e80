/**
 * The run page in a real headless Chromium, served by `maestro serve` in-process with the
 * example shop services on loopback: an order that succeeds, one that fails late and is
 * compensated, and a live run whose page follows it without a reload. Screenshots are
 * checked to be real PNGs (kept in $MAESTRO_SCREENSHOTS when set).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Shop, startShop } from "../../examples/services/shop.js";
import {
  createService,
  listen,
  newState,
  type RunningService,
} from "../../examples/services/toolkit.js";
import { STATUS_COLOURS } from "../../src/api/ui/page-assets.js";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import { silentLogger } from "../../src/ports/logger.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { memoryStore } from "../../src/server/stores.js";
import { type Browser, launchChromium, pngInfo } from "../helpers/chromium.js";
import { orderWorkflowText } from "../helpers/order-workflow.js";
import { workflowFrom } from "../helpers/workflows.js";

let shop: Shop;
let gate: RunningService;
let releasePrepare: () => void = () => {};
let prepareArrived: Promise<void>;
let server: RunningServer;
let browser: Browser;
let shots: string;
/** Console errors and uncaught exceptions per page: a blocked style or script shows up here. */
const problems = new WeakMap<Page, string[]>();

/** A service whose `POST /prepare` answers only when the test says so. */
async function startGate(): Promise<RunningService> {
  const held = new Promise<void>((r) => {
    releasePrepare = r;
  });
  let arrived: () => void = () => {};
  prepareArrived = new Promise((r) => {
    arrived = r;
  });
  const state = newState();
  const app = createService(
    { "POST /checks/:kind": (_, p) => ({ body: { kind: p.kind, ok: true } }) },
    state,
  );
  app.post("/prepare", async (c) => {
    arrived();
    await held;
    return c.json({ id: "prep-1" });
  });
  return listen("gate", app, state);
}

const liveWorkflow = () => `
name: approval_flow
version: "1.0.0"
services: { gate: { type: http, endpoint: "${gate.url}", timeout: 60s } }
steps:
  - id: prepare
    service: gate
    method: POST /prepare
  - id: checks
    parallel:
      - { id: check_credit, service: gate, method: POST /checks/credit }
      - { id: check_fraud, service: gate, method: POST /checks/fraud }
  - id: approve
    wait_for: { signal: approval }
  - id: finish
    service: gate
    method: POST /checks/final
`;

beforeAll(async () => {
  shop = await startShop();
  gate = await startGate();
  server = await startServer({
    port: 0,
    store: memoryStore(),
    caller: createHttpCaller(),
    logger: silentLogger,
    workflows: [workflowFrom(await orderWorkflowText(shop)), workflowFrom(liveWorkflow())],
  });
  browser = await launchChromium();
  shots = process.env.MAESTRO_SCREENSHOTS ?? (await mkdtemp(join(tmpdir(), "maestro-shots-")));
  await mkdir(shots, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await shop?.close();
  await gate?.close();
  if (!process.env.MAESTRO_SCREENSHOTS && shots) await rm(shots, { recursive: true, force: true });
});

async function start(workflow: string, input: unknown): Promise<string> {
  const res = await fetch(`${server.url}/v1/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ workflow, input }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { runId: string }).runId;
}

async function open(runId: string): Promise<Page> {
  const page = await browser.context.newPage();
  const seen: string[] = [];
  problems.set(page, seen);
  page.on("console", (m) => {
    if (m.type() === "error") seen.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => seen.push(`page error: ${e.message}`));
  const res = await page.goto(`${server.url}/ui/runs/${runId}`);
  expect(res?.status()).toBe(200);
  return page;
}

async function done(page: Page) {
  expect(problems.get(page)).toEqual([]);
  await page.close();
}

const statusOf = (page: Page, step: string) =>
  page.locator(`svg.graph g.step[data-step="${step}"]`).getAttribute("data-status");

/** The stroke Chromium computed for a step's box: proves the stylesheet applied. */
const strokeOf = (page: Page, step: string) =>
  page.evaluate(
    `getComputedStyle(document.querySelector('g.step[data-step="${step}"] .box')).stroke`,
  );

function rgb(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`;
}

async function screenshot(page: Page, name: string) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  const png = await pngInfo(path);
  expect(png.width).toBe(1280);
  expect(png.height).toBeGreaterThan(500);
  expect(png.bytes).toBeGreaterThan(30_000);
}

describe("the run page in Chromium", () => {
  it("draws a succeeded order: every step green, nothing undone", async () => {
    const runId = await start("order_processing", {
      order_id: "o-1",
      items: [{ sku: "tea", qty: 2 }],
      amount_cents: 1250,
      address: "1 Main St",
    });
    expect((await server.runtime.waitForRun(runId)).status).toBe("succeeded");
    const page = await open(runId);
    expect(await page.locator(".run-status .badge").textContent()).toBe("succeeded");
    for (const step of ["reserve_stock", "charge_card", "book_shipment", "confirm"]) {
      expect(await statusOf(page, step)).toBe("succeeded");
      expect(await strokeOf(page, step)).toBe(rgb(STATUS_COLOURS.succeeded ?? ""));
      expect(await page.locator(`tr[data-step="${step}"] td.attempts`).textContent()).toBe("1");
    }
    expect(await page.locator("svg.graph path.edge").count()).toBe(3);
    expect(await page.locator("ol.compensations li").count()).toBe(0);
    expect(await page.locator("main#run").getAttribute("data-final")).toBe("true");
    expect(await page.locator(".live").count()).toBe(0);
    await screenshot(page, "order-succeeded");
    await done(page);
  });

  it("draws a late failure: the failed step and its error, retries, undos in order", async () => {
    // One refused charge first: the step succeeds on its second attempt.
    const fault = { route: "POST /charges", mode: "times", count: 1, status: 503 };
    await fetch(`${shop.payments.url}/_faults`, { method: "POST", body: JSON.stringify(fault) });
    const runId = await start("order_processing", {
      order_id: "o-2",
      items: [{ sku: "tea", qty: 1 }],
      amount_cents: 990,
      address: "nowhere",
    });
    expect((await server.runtime.waitForRun(runId)).status).toBe("compensated");
    const page = await open(runId);
    expect(await page.locator(".run-status .badge").textContent()).toBe("compensated");
    const expected = {
      reserve_stock: "compensated",
      charge_card: "compensated",
      book_shipment: "failed",
      confirm: "pending",
    };
    for (const [step, status] of Object.entries(expected)) {
      expect(await statusOf(page, step), step).toBe(status);
      expect(await strokeOf(page, step), step).toBe(rgb(STATUS_COLOURS[status] ?? ""));
    }
    expect(await page.locator('tr[data-step="charge_card"] td.attempts').textContent()).toBe("2");
    expect(await page.locator('tr[data-step="reserve_stock"] td.attempts').textContent()).toBe("1");
    const error = await page.locator('tr[data-step="book_shipment"] .error').textContent();
    expect(error).toMatch(/422/);
    expect(await page.locator(".failure h2").textContent()).toBe("Failed at step book_shipment");

    const undos = page.locator("ol.compensations li");
    expect(await undos.evaluateAll((els) => els.map((el) => el.getAttribute("data-step")))).toEqual(
      ["charge_card", "reserve_stock"],
    );
    expect(await undos.locator(".order").allTextContents()).toEqual(["1.", "2."]);
    expect(
      await undos.evaluateAll((els) => els.map((el) => el.getAttribute("data-status"))),
    ).toEqual(["succeeded", "succeeded"]);
    // The graph marks each undone step with its place in the undo order.
    expect(await page.locator('g.step[data-step="charge_card"] .undo-badge').textContent()).toBe(
      "↩1",
    );
    await screenshot(page, "order-compensated");
    await done(page);
  });

  it("follows a live run without reloading, and stops when it ends", async () => {
    const runId = await start("approval_flow", {});
    await prepareArrived;
    const page = await open(runId);
    await page.evaluate("window.sameDocument = 'yes'");
    expect(await statusOf(page, "prepare")).toBe("running");
    expect(await statusOf(page, "check_credit")).toBe("pending");
    expect(await page.locator(".live").count()).toBe(1);
    expect(await page.locator("svg.graph g.group").textContent()).toBe("parallel: checks");
    await screenshot(page, "live-running");

    releasePrepare();
    await page.waitForSelector('g.step[data-step="approve"][data-status="waiting"]');
    expect(await statusOf(page, "check_credit")).toBe("succeeded");
    expect(await statusOf(page, "check_fraud")).toBe("succeeded");
    expect(await page.locator('tr[data-step="approve"] .result').textContent()).toBe(
      'waiting for signal "approval"',
    );

    const signal = await fetch(`${server.url}/v1/runs/${runId}/signals/approval`, {
      method: "POST",
      body: JSON.stringify({ by: "ops" }),
    });
    expect(signal.status).toBe(202);
    await page.waitForSelector('main#run[data-final="true"][data-status="succeeded"]');
    expect(await statusOf(page, "finish")).toBe("succeeded");
    expect(await page.locator(".live").count()).toBe(0);
    expect(await page.evaluate("window.sameDocument")).toBe("yes");
    expect(await page.title()).toContain("succeeded");
    await done(page);
  });
});
