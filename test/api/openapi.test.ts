import { describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createMemoryWorkflowRegistry } from "../../src/adapters/memory/memory-workflow-registry.js";
import { createApi } from "../../src/api/app.js";
import { OPENAPI } from "../../src/api/openapi.js";
import { REDRIVE_FIELDS } from "../../src/api/redrive-request.js";
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

  it("documents the redrive body's fields and its 422 answer", () => {
    const body = OPENAPI.components.schemas.RedriveRequest;
    expect(Object.keys(body.properties).sort()).toEqual([...REDRIVE_FIELDS].sort());
    const op = OPENAPI.paths["/v1/runs/{id}/redrive"].post;
    expect(op.requestBody.content["application/json"].schema.$ref).toBe(
      "#/components/schemas/RedriveRequest",
    );
    expect(Object.keys(op.responses)).toEqual(
      expect.arrayContaining(["202", "400", "404", "409", "422"]),
    );
  });

  it("serves the document and a reference page", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as { openapi: string };
    expect(doc.openapi).toBe("3.1.0");
    const page = await (await app.request("/docs")).text();
    expect(page).toContain("<code>/v1/runs/{id}/cancel</code>");
  });
});
