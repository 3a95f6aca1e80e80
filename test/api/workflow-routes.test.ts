import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createMemoryWorkflowRegistry } from "../../src/adapters/memory/memory-workflow-registry.js";
import { createApi } from "../../src/api/app.js";
import { systemClock } from "../../src/ports/clock.js";
import { silentLogger } from "../../src/ports/logger.js";
import { registryCatalog } from "../../src/runtime/registry-catalog.js";

function api() {
  const registry = createMemoryWorkflowRegistry();
  const app = createApi({
    log: createMemorySagaLog(),
    queue: createMemoryTaskQueue(),
    workflows: registryCatalog(registry),
    registry,
    clock: systemClock,
    logger: silentLogger,
    newId: () => crypto.randomUUID(),
  });
  const put = (path: string, body: string) =>
    app.request(path, { method: "PUT", body, headers: { "content-type": "application/yaml" } });
  return { app, put };
}

const hello = async (version: string, extra = "") =>
  (await readFile("examples/workflows/hello_world.yaml", "utf8")).replace(
    'version: "1.0"',
    `version: "${version}"`,
  ) + extra;

describe("workflow definitions API", () => {
  it("registers a version once: same content is idempotent, different content is 409", async () => {
    const { put } = api();
    const body = await hello("1.0.0");
    expect((await put("/v1/workflows/hello_world/versions/1.0.0", body)).status).toBe(201);
    const again = await put("/v1/workflows/hello_world/versions/1.0.0", body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: "unchanged" });
    const changed = await put(
      "/v1/workflows/hello_world/versions/1.0.0",
      await hello("1.0.0", "\n# changed\n"),
    );
    expect(changed.status).toBe(409);
    expect(await changed.json()).toMatchObject({ code: "version_exists", field: "version" });
  });

  it("validates before writing: invalid YAML, a name or version that disagrees with the path, a non-semantic version", async () => {
    const { put, app } = api();
    const invalid = await put(
      "/v1/workflows/hello_world/versions/1.0.0",
      "name: hello_world\nversion: '1.0.0'\nsteps: []\n",
    );
    expect(invalid.status).toBe(422);
    const problem = (await invalid.json()) as { errors: string[] };
    expect(problem.errors.join("\n")).toContain(
      "hello_world@1.0.0.yaml:3:8: steps: expected a non-empty list",
    );
    expect((await put("/v1/workflows/other/versions/1.0.0", await hello("1.0.0"))).status).toBe(
      422,
    );
    expect(
      (await put("/v1/workflows/hello_world/versions/1.0.1", await hello("1.0.0"))).status,
    ).toBe(422);
    expect((await put("/v1/workflows/hello_world/versions/1.0", await hello("1.0"))).status).toBe(
      400,
    );
    expect((await app.request("/v1/workflows/hello_world")).status).toBe(404);
  });

  it("lists workflows and versions, and runs start on the latest semantic version", async () => {
    const { put, app } = api();
    for (const v of ["1.2.0", "1.10.0", "1.9.3"]) {
      expect((await put(`/v1/workflows/hello_world/versions/${v}`, await hello(v))).status).toBe(
        201,
      );
    }
    const list = await (await app.request("/v1/workflows")).json();
    expect(list).toEqual({
      workflows: [
        { name: "hello_world", latest: "1.10.0", versions: ["1.2.0", "1.9.3", "1.10.0"] },
      ],
    });
    const one = (await (await app.request("/v1/workflows/hello_world/versions/1.9.3")).json()) as {
      source: string;
    };
    expect(one.source).toContain('version: "1.9.3"');
    const run = await app.request("/v1/runs", {
      method: "POST",
      body: JSON.stringify({ workflow: "hello_world", input: { name: "x" } }),
      headers: { "content-type": "application/json" },
    });
    expect(run.status).toBe(201);
    expect(await run.json()).toMatchObject({ version: "1.10.0" });
  });
});
