import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../infra/functions.js";
import { loadWorkflowSet } from "../../infra/workflows.js";

const scratch = mkdtempSync(join(tmpdir(), "maestro-infra-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const workflow = (name: string, version: string, service = "") => `name: ${name}
version: "${version}"
services:
  svc:
    type: grpc
    endpoint: "svc:50051"
${service}
steps:
  - id: a
    service: svc
    method: A
`;

function write(path: string, text: string): void {
  mkdirSync(join(scratch, path, ".."), { recursive: true });
  writeFileSync(join(scratch, path), text);
}

describe("the workflows deployed to an environment", () => {
  it("expands file-name globs in order and lists the files to bundle", async () => {
    const set = await loadWorkflowSet(["test/fixtures/infra/*.yaml"], REPO_ROOT);
    expect(set.workflows.map((w) => w.workflow.name)).toEqual([
      "cleanup",
      "nightly_report",
      "unscheduled",
    ]);
    expect(set.files.map((f) => f.target)).toEqual([
      "cleanup.yaml",
      "nightly_report.yaml",
      "unscheduled.yaml",
    ]);
  });

  it("fails with every diagnostic, at file:line:column, when a deployed workflow is invalid", async () => {
    const attempt = loadWorkflowSet(["test/fixtures/invalid/triggers.yaml"], REPO_ROOT);
    await expect(attempt).rejects.toThrow(
      "test/fixtures/invalid/triggers.yaml:12:15: schedule: invalid cron",
    );
    await expect(attempt).rejects.toThrow(
      "test/fixtures/invalid/triggers.yaml:18:15: schedule: rate must be at least 1",
    );
  });

  it("fails on a path or a pattern that matches nothing, and on wildcards in folders", async () => {
    const attempt = loadWorkflowSet(
      ["missing.yaml", "examples/workflows/*.yml", "examples/*/x.yaml"],
      REPO_ROOT,
    );
    await expect(attempt).rejects.toThrow("missing.yaml: no such workflow file");
    await expect(attempt).rejects.toThrow("examples/workflows/*.yml: matches no workflow file");
    await expect(attempt).rejects.toThrow(
      "examples/*/x.yaml: wildcards are only allowed in the file name",
    );
  });

  it("refuses two files that would share a name in the bundle, or define the same version", async () => {
    write("one/flow.yaml", workflow("flow", "1"));
    write("two/flow.yaml", workflow("flow_two", "1"));
    write("two/again.yaml", workflow("flow", "1"));
    const attempt = loadWorkflowSet(["one/flow.yaml", "two/*.yaml"], scratch);
    await expect(attempt).rejects.toThrow("flow.yaml would overwrite");
    await expect(attempt).rejects.toThrow("flow@1 is also defined in");
  });

  it("ships referenced files beside the workflow, and refuses ones outside its folder", async () => {
    write("grpc/protos/svc.binpb", "descriptor");
    write("grpc/ok.yaml", workflow("ok", "1", "    descriptors: protos/svc.binpb"));
    const set = await loadWorkflowSet(["grpc/ok.yaml"], scratch);
    expect(set.files.map((f) => f.target)).toEqual(["ok.yaml", "protos/svc.binpb"]);

    write("grpc/outside.yaml", workflow("outside", "1", "    descriptors: ../elsewhere.binpb"));
    await expect(loadWorkflowSet(["grpc/outside.yaml"], scratch)).rejects.toThrow(
      "outside the workflow's folder",
    );
  });

  it("refuses a schedule that EventBridge Scheduler cannot express", async () => {
    write("both-days.yaml", `${workflow("both_days", "1")}triggers:\n  - schedule: "0 9 1 * 1"\n`);
    await expect(loadWorkflowSet(["both-days.yaml"], scratch)).rejects.toThrow(
      'both-days.yaml: triggers[0].schedule: cron "0 9 1 * 1" restricts both day-of-month and day-of-week',
    );
  });
});
