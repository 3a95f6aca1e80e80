import { describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createMemoryWorkflowRegistry } from "../../src/adapters/memory/memory-workflow-registry.js";
import { createApi } from "../../src/api/app.js";
import { OPENAPI } from "../../src/api/openapi.js";
import { systemClock } from "../../src/ports/clock.js";
import { silentLogger } from "../../src/ports/logger.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";

describe("OpenAPI document", () => {
  const app = createApi({
    log: createMemorySagaLog(),
    queue: createMemoryTaskQueue(),
    workflows: staticWorkflows([]),
    registry: createMemoryWorkflowRegistry(),
    clock: systemClock,
    logger: silentLogger,
    newId: () => "x",
  });

  const described = (path: string) => /^\/(v1|ui|runs)\//.test(path);

  it("describes every /v1 and page route the app serves, and nothing it does not", () => {
    const served = app.routes
      .filter((r) => described(r.path) && r.method !== "ALL")
      .map((r) => `${r.method} ${r.path.replace(/:([a-z]+)/g, "{$1}")}`)
      .sort();
    const documented = Object.entries(OPENAPI.paths)
      .filter(([path]) => described(path))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual([...new Set(served)]);
  });

  it("serves the document and a reference page", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as { openapi: string };
    expect(doc.openapi).toBe("3.1.0");
    const page = await (await app.request("/docs")).text();
    expect(page).toContain("<code>/v1/runs/{id}/cancel</code>");
  });
});
