/**
 * `maestro serve` on its embedded store survives kill -9 mid-run: the real binary is killed
 * while a step's call is in flight, started again on the same data directory, and the run
 * finishes — with the slow step's effect performed once (its idempotency key is stable).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "maestro-serve-"));
let service: Server;
const calls: { path: string; key: string | undefined }[] = [];
const effects = new Set<string>();
const children: ChildProcess[] = [];

beforeAll(async () => {
  // A service whose /slow step takes long enough to kill the server during the call.
  service = createServer((req, res) => {
    req.resume();
    const key = req.headers["idempotency-key"] as string | undefined;
    calls.push({ path: req.url ?? "", key });
    const delay =
      req.url === "/slow" && calls.filter((c) => c.path === "/slow").length === 1 ? 1_500 : 0;
    setTimeout(() => {
      if (key) effects.add(`${req.url} ${key}`);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ok: true }));
    }, delay);
  });
  await new Promise<void>((r) => service.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  writeFileSync(
    join(dir, "slow.yaml"),
    `name: slow\nversion: "1.0.0"\nservices: { svc: { type: http, endpoint: "${url}" } }\nsteps:\n  - { id: first, service: svc, method: POST /first }\n  - { id: slow, service: svc, method: POST /slow }\n  - { id: last, service: svc, method: POST /last }\n`,
  );
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await new Promise((r) => service.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function serve(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      "bin/maestro.js",
      "serve",
      "--port",
      "0",
      "--data",
      join(dir, "data"),
      "--workflows",
      join(dir, "slow.yaml"),
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  children.push(child);
  for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    const match = /maestro serving on (\S+)/.exec(line);
    if (match?.[1]) return { child, url: match[1] };
  }
  throw new Error("serve did not start");
}

async function until<T>(what: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await what().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("maestro serve restart", () => {
  it("finishes a run after kill -9 in the middle of a call", async () => {
    const first = await serve();
    const started = await fetch(`${first.url}/v1/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ workflow: "slow" }),
    });
    const { runId } = (await started.json()) as { runId: string };
    await until(async () => (calls.some((c) => c.path === "/slow") ? true : undefined));
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));

    const second = await serve();
    const status = await until(async () => {
      const run = (await (await fetch(`${second.url}/v1/runs/${runId}`)).json()) as {
        status: string;
      };
      return run.status === "succeeded" ? run.status : undefined;
    });
    expect(status).toBe("succeeded");
    // The slow call was repeated after the restart, under the same key: one effect.
    const slow = calls.filter((c) => c.path === "/slow");
    expect(slow.length).toBe(2);
    expect(new Set(slow.map((c) => c.key)).size).toBe(1);
    expect(calls.filter((c) => c.path === "/first")).toHaveLength(1);
    expect(calls.filter((c) => c.path === "/last")).toHaveLength(1);
    second.child.kill("SIGTERM");
  });
});
