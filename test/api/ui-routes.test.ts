/**
 * The run pages over HTTP, without a browser: hostile step errors and outputs come out
 * escaped, unknown runs are 404, browsers and API clients get what they ask for, and the
 * pages sit behind the same authentication and policy as /v1.
 */
import { generateKeyPair, SignJWT } from "jose";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { prefersHtml } from "../../src/api/accept.js";
import { createApi } from "../../src/api/app.js";
import { type Auth, createAuth } from "../../src/api/auth.js";
import { systemClock } from "../../src/ports/clock.js";
import { silentLogger } from "../../src/ports/logger.js";
import { createLocalRuntime, type LocalRuntime } from "../../src/runtime/local-runtime.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { createFakeServices } from "../helpers/fake-services.js";
import { workflowFrom } from "../helpers/workflows.js";

const HOSTILE_ERROR = `<script>alert("err")</script>`;
const HOSTILE_OUTPUT = `</pre><img src=x onerror="alert('out')">`;
const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

const workflow = workflowFrom(`
name: payouts
version: "1.0.0"
services: { bank: { type: http, endpoint: "http://bank" } }
steps:
  - id: open_account
    service: bank
    method: POST /accounts
    output: account
    compensate: { method: "DELETE /accounts/{{ .account.id }}" }
  - id: pay
    service: bank
    method: POST /payouts
`);

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

/** Runs the workflow to its end (the payout fails with a hostile message) behind an API. */
async function failedRun(auth?: Auth) {
  const services = createFakeServices();
  services.on("POST /accounts", () => ({ ok: true, output: { id: "a1", note: HOSTILE_OUTPUT } }));
  services.on("POST /payouts", () => ({
    ok: false,
    error: { code: "invalid_argument", message: HOSTILE_ERROR, retryable: false },
  }));
  const log = createMemorySagaLog();
  const queue = createMemoryTaskQueue();
  const workflows = staticWorkflows([workflow]);
  runtime = createLocalRuntime({ log, queue, caller: services, workflows });
  runtime.start();
  const app = createApi({
    log,
    queue,
    workflows,
    clock: systemClock,
    logger: silentLogger,
    newId: () => crypto.randomUUID(),
    ...(auth && { auth }),
  });
  const { runId } = await runtime.startRun({ workflow, input: { who: "<b>bold</b>" } });
  const state = await runtime.waitForRun(runId);
  expect(state.status).toBe("compensated");
  return { app, runId };
}

describe("the run page", () => {
  it("escapes step errors, outputs and input, and runs no script once the run is final", async () => {
    const { app, runId } = await failedRun();
    const res = await app.request(`/ui/runs/${runId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toMatch(/script-src 'sha256-[^']+'/);
    const html = await res.text();
    expect(html).not.toContain(HOSTILE_ERROR);
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>bold</b>");
    expect(html).toContain("&lt;script&gt;alert(&quot;err&quot;)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=\\&quot;alert(&#39;out&#39;)\\&quot;&gt;");
    expect(html).not.toContain("<script");
    expect(html).toContain('data-step="pay" data-status="failed"');
    expect(html).toContain('data-step="open_account" data-status="compensated"');
  });

  it("is 404 for a run nobody knows, naming the id escaped", async () => {
    const { app } = await failedRun();
    const res = await app.request("/ui/runs/%3Cb%3Enope");
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain("Run not found");
    expect(html).toContain("<code>&lt;b&gt;nope</code>");
  });

  it("answers browsers with HTML and API clients as before", async () => {
    const { app, runId } = await failedRun();
    const get = (path: string, accept?: string) =>
      app.request(path, accept === undefined ? {} : { headers: { accept } });

    const short = await get(`/runs/${runId}`, BROWSER);
    expect(short.status).toBe(200);
    expect(await short.text()).toContain(`data-run-id="${runId}"`);
    const refused = await get(`/runs/${runId}`, "application/json");
    expect(refused.status).toBe(406);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(await refused.json()).toMatchObject({ code: "not_acceptable" });

    const page = await get(`/v1/runs/${runId}`, BROWSER);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("vary")).toBe("Accept");
    for (const accept of [undefined, "*/*", "application/json", "application/json, text/html"]) {
      const res = await get(`/v1/runs/${runId}`, accept);
      expect(res.headers.get("content-type"), String(accept)).toMatch(/^application\/json/);
      expect(((await res.json()) as { status: string }).status).toBe("compensated");
    }
  });

  it("lists runs with links to their pages", async () => {
    const { app, runId } = await failedRun();
    const html = await (await app.request("/ui/runs?workflow=payouts")).text();
    expect(html).toContain(`<a href="/ui/runs/${runId}">`);
    expect(html).toContain('class="badge status-compensated"');
    expect((await app.request("/ui/runs?status=bogus")).status).toBe(400);
  });
});

describe("the run page with authentication", () => {
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  const issuer = "https://login.example.test/";
  const audience = "maestro-api";
  beforeAll(async () => {
    keys = await generateKeyPair("ES256");
  });
  const token = (scope: string) =>
    new SignJWT({ scope })
      .setProtectedHeader({ alg: "ES256" })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime("5m")
      .sign(keys.privateKey);
  const auth = () =>
    createAuth({
      issuer,
      audience,
      key: keys.publicKey,
      policy: [
        { actions: ["runs:read"], workflows: "pay*", scopes: ["payments-team"] },
        { actions: ["runs:read"], workflows: "user_*", scopes: ["users-team"] },
      ],
    });

  it("needs a token (401) allowed to read that workflow's runs (403)", async () => {
    const { app, runId } = await failedRun(auth());
    const as = async (path: string, scope?: string) =>
      app.request(path, {
        headers: {
          accept: BROWSER,
          ...(scope !== undefined && { authorization: `Bearer ${await token(scope)}` }),
        },
      });
    for (const path of [`/ui/runs/${runId}`, `/runs/${runId}`, "/ui/runs"]) {
      const anonymous = await as(path);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get("content-type")).toBe("application/problem+json");
      expect(await anonymous.json()).toMatchObject({ code: "unauthenticated" });
    }
    const forbidden = await as(`/ui/runs/${runId}`, "users-team");
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({
      code: "forbidden",
      detail: 'the token may not runs:read on workflow "payouts"',
    });
    expect((await as("/ui/runs", "payments-team")).status).toBe(403);
    expect((await as("/ui/runs?workflow=payouts", "payments-team")).status).toBe(200);
    const allowed = await as(`/ui/runs/${runId}`, "payments-team");
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('data-step="pay" data-status="failed"');
    expect((await as(`/runs/${runId}`, "payments-team")).status).toBe(200);
  });
});

describe("prefersHtml", () => {
  it.each([
    [BROWSER, true],
    ["text/html", true],
    ["text/html;q=0.5, application/json", false],
    ["application/json;q=0.5, text/html", true],
    ["text/*", false],
    ["*/*", false],
    ["application/json", false],
    ["text/html;q=0", false],
    ["", false],
    [undefined, false],
  ])("%s → %s", (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });
});
