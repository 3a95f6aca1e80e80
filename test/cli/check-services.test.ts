/** `maestro validate` against descriptor sets and, with --check-endpoints, live services. */
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCrm } from "../../examples/services/crm.js";
import type { RunningService } from "../../examples/services/toolkit.js";
import { main } from "../../src/cli/main.js";
import { file_examples_auth_v1_auth } from "../../src/gen/examples/auth/v1/auth_pb.js";
import {
  type ExampleServices,
  startExampleServices,
  tempDir,
  writeDescriptorSet,
} from "../grpc/helpers.js";
import { captureIo } from "../helpers/capture-io.js";

const dir = tempDir();
let services: ExampleServices;
let crm: RunningService;

beforeAll(async () => {
  services = await startExampleServices();
  crm = await startCrm();
  writeDescriptorSet(dir.path, "auth.binpb", [file_examples_auth_v1_auth]);
});
afterAll(async () => {
  await services.close();
  await crm.close();
  dir.remove();
});

function workflow(name: string, auth: string, extra = ""): string {
  const path = join(dir.path, name);
  writeFileSync(
    path,
    `name: checked
version: "1"
services:
  auth:
    type: grpc
    endpoint: "${auth}"
${extra}steps:
  - id: create
    service: auth
    method: CreateUser
    input:
      emial: "{{ .input.email }}"
      password: x
    compensate:
      method: DeleteUsr
`,
  );
  return path;
}

async function validate(...args: string[]) {
  const io = captureIo();
  const code = await main(["validate", ...args], io);
  return { code, out: io.out.join("") };
}

describe("validate with descriptors and endpoints", () => {
  it("checks methods and input fields against a descriptor set, with positions and suggestions", async () => {
    const file = workflow("described.yaml", "127.0.0.1:1", "    descriptors: ./auth.binpb\n");
    const { code, out } = await validate(file);
    expect(code).toBe(1);
    const lines = out.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/described\.yaml:13:7: input: .*"emial".*"email"/);
    expect(lines[1]).toMatch(/described\.yaml:16:15: method: .*DeleteUsr/);
  });

  it("--check-endpoints asks a live gRPC service for health and its methods by reflection", async () => {
    const live = workflow("live.yaml", `127.0.0.1:${services.auth.port}`);
    const { code, out } = await validate(live, "--check-endpoints");
    expect(code).toBe(1);
    expect(out).toMatch(/live\.yaml:12:7: input: .*"emial"/);
    expect(out).not.toMatch(/not serving|does not answer/);
  });

  it("--check-endpoints reports endpoints that do not answer", async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const dead = join(dir.path, "dead.yaml");
    writeFileSync(
      dead,
      `name: dead
version: "1"
services:
  crm: { type: http, endpoint: "http://127.0.0.1:${port}" }
  crm_ok: { type: http, endpoint: "${crm.url}" }
steps:
  - { id: a, service: crm, method: POST /contacts }
  - { id: b, service: crm_ok, method: POST /contacts }
`,
    );
    const { code, out } = await validate(dead, "--check-endpoints");
    expect(code).toBe(1);
    expect(out.trim().split("\n")).toEqual([
      `${dead}:4:32: endpoint http://127.0.0.1:${port} does not answer: ECONNREFUSED`,
    ]);
  });
});
