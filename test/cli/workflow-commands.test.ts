/**
 * The workflow commands (validate, graph, schema) run in-process through main() with a
 * capturing io, plus one run of the real bin to prove the executable works.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { workflowJsonSchema } from "../../src/workflow/schema.js";
import { ROOT } from "../workflow/helpers.js";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process from the repository root, capturing what it prints. */
async function cli(...argv: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    stderrIsTty: false,
    env: {},
    cwd: ROOT,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const ONBOARDING = "examples/workflows/user_onboarding.yaml";
const BROKEN = "test/fixtures/invalid/broken_onboarding.yaml";

describe("maestro validate", () => {
  it("prints FILE: ok for each valid file and exits 0", async () => {
    const run = await cli(
      "validate",
      "examples/workflows/hello_world.yaml",
      "test/fixtures/seed_readme.yaml",
    );
    expect(run).toEqual({
      code: 0,
      stdout: "examples/workflows/hello_world.yaml: ok\ntest/fixtures/seed_readme.yaml: ok\n",
      stderr: "",
    });
  });

  it("prints every error as file:line:column: message and exits 1", async () => {
    const run = await cli("validate", "test/fixtures/invalid/cycle.yaml");
    expect(run).toEqual({
      code: 1,
      stdout: "test/fixtures/invalid/cycle.yaml:11:17: dependency cycle: a → c → b → a\n",
      stderr: "",
    });
  });

  it("checks every file, and fails if any one is invalid", async () => {
    const run = await cli("validate", BROKEN, "examples/workflows/hello_world.yaml");
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe(
      `${BROKEN}:8:14: services.auth_service.timeout: must be a duration such as 200ms, 5s, 10m, 1h`,
    );
    expect(lines[2]).toBe(
      `${BROKEN}:15:14: service "auth_servce" is not defined in services (did you mean "auth_service"?)`,
    );
    expect(lines[8]).toBe("examples/workflows/hello_world.yaml: ok");
  });

  it("names the file as given on the command line, also for a missing file", async () => {
    const run = await cli("validate", "./no/such/file.yaml");
    expect(run).toEqual({ code: 1, stdout: "./no/such/file.yaml:1:1: no such file\n", stderr: "" });
  });

  it.each([
    [[], "name at least one workflow file"],
    [["--strict", ONBOARDING], "Unknown option '--strict'"],
  ])("is a usage error (exit 2) with %j", async (args, reason) => {
    const run = await cli("validate", ...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`maestro validate: ${reason}`);
    expect(run.stderr).toContain("Usage: maestro validate FILE...");
  });

  it("prints its help with --help and exits 0", async () => {
    const run = await cli("validate", "--help");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: maestro validate FILE...");
  });
});

describe("maestro graph", () => {
  it("draws user_onboarding as Mermaid: nodes, the parallel subgraph, edges, compensations", async () => {
    const run = await cli("graph", ONBOARDING);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("flowchart TD");
    // The parallel group is a subgraph holding exactly its two members.
    const open = lines.indexOf("  subgraph welcome[parallel: welcome]");
    expect(open).toBeGreaterThan(0);
    expect(lines.slice(open + 1, open + 4).map((l) => l.trim().split("[")[0])).toEqual([
      "add_to_crm",
      "send_welcome_email",
      "end",
    ]);
    // Edges: sequential, fan-out into the group, the join after it.
    expect(lines.filter((l) => l.includes(" --> "))).toEqual([
      "  create_user --> setup_subscription",
      "  setup_subscription --> add_to_crm",
      "  setup_subscription --> send_welcome_email",
      "  add_to_crm --> settle",
      "  send_welcome_email --> settle",
      "  settle --> activate",
    ]);
    // Steps with a compensate action are marked, and labelled with their undo call.
    expect(lines).toContain("  class create_user,setup_subscription,add_to_crm compensable");
    expect(lines.some((l) => l.startsWith("  classDef compensable "))).toBe(true);
    expect(run.stdout).toContain(
      'add_to_crm["add_to_crm<br/>http crm_service · POST /contacts<br/>↩ DELETE /contacts/{{ .crm_contact.id }}"]',
    );
    // Conditions are shown; quotes are escaped for Mermaid.
    expect(run.stdout).toContain("when {{ ne .input.plan #quot;none#quot; }}");
    expect(run.stdout).toContain('settle["settle<br/>sleep 50ms"]');
  });

  it("draws user_onboarding as Graphviz dot", async () => {
    const run = await cli("graph", ONBOARDING, "--format", "dot");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe('digraph "user_onboarding" {');
    expect(lines.at(-2)).toBe("}");
    const open = lines.indexOf('  subgraph "cluster_welcome" {');
    expect(open).toBeGreaterThan(0);
    expect(lines[open + 1]).toBe('    label="parallel: welcome";');
    expect(lines[open + 2]).toMatch(/^ {4}"add_to_crm" \[/);
    expect(lines[open + 3]).toMatch(/^ {4}"send_welcome_email" \[/);
    expect(lines[open + 4]).toBe("  }");
    expect(lines.filter((l) => l.includes(" -> "))).toEqual([
      '  "create_user" -> "setup_subscription";',
      '  "setup_subscription" -> "add_to_crm";',
      '  "setup_subscription" -> "send_welcome_email";',
      '  "add_to_crm" -> "settle";',
      '  "send_welcome_email" -> "settle";',
      '  "settle" -> "activate";',
    ]);
    const compensated = lines
      .filter((l) => l.includes('style=dashed, color="#c0392b"'))
      .map((l) => l.trim().split(" ")[0]);
    expect(compensated).toEqual(['"create_user"', '"setup_subscription"', '"add_to_crm"']);
    // Quotes inside labels are escaped for dot.
    expect(run.stdout).toContain('when {{ ne .input.plan \\"none\\" }}');
  });

  it("prints the errors of an invalid file on stderr and exits 1", async () => {
    const run = await cli("graph", "test/fixtures/invalid/cycle.yaml");
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: "test/fixtures/invalid/cycle.yaml:11:17: dependency cycle: a → c → b → a\n",
    });
  });

  it.each([
    [[], "name exactly one workflow file"],
    [[ONBOARDING, ONBOARDING], "name exactly one workflow file"],
    [[ONBOARDING, "--format", "svg"], '--format must be mermaid or dot, not "svg"'],
    [[ONBOARDING, "--format"], "Option '--format <value>' argument missing"],
  ])("is a usage error (exit 2) with %j", async (args, reason) => {
    const run = await cli("graph", ...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`maestro graph: ${reason}`);
    expect(run.stderr).toContain("Usage: maestro graph FILE [--format mermaid|dot]");
  });
});

describe("maestro schema", () => {
  it("prints the JSON Schema, 2-space indented with a final newline", async () => {
    const run = await cli("schema");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
    expect(JSON.parse(run.stdout).title).toBe("Maestro workflow");
  });

  it("takes no arguments", async () => {
    const run = await cli("schema", "extra");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Usage: maestro schema");
  });
});

describe("maestro", () => {
  it("lists the commands with no arguments (a usage error) and with --help", async () => {
    const bare = await cli();
    expect(bare.code).toBe(2);
    for (const command of ["validate", "graph", "schema"]) expect(bare.stdout).toContain(command);
    expect((await cli("--help")).code).toBe(0);
  });

  it("refuses an unknown command with exit 2", async () => {
    const run = await cli("valdate", ONBOARDING);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('maestro: unknown command "valdate"');
  });
});

describe("maestro serve", () => {
  it("refuses a backlog bound that is not a whole number ≥ 1, before opening anything", async () => {
    for (const bad of ["lots", "0", "-3", "2.5", ""]) {
      const run = await cli("serve", "--port", "0", "--store", "memory", `--max-backlog=${bad}`);
      expect(run.code, bad).toBe(2);
      expect(run.stderr, bad).toContain("--max-backlog must be a whole number ≥ 1");
      expect(run.stdout, bad).toBe("");
    }
  });
});

describe("the maestro executable", () => {
  it("validates a file as a real process", async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["bin/maestro.js", "validate", "examples/workflows/hello_world.yaml"],
      { cwd: ROOT, timeout: 20_000 },
    );
    // execFile rejects on a non-zero exit, so reaching here means exit code 0.
    expect(stdout).toBe("examples/workflows/hello_world.yaml: ok\n");
    expect(stderr).toBe("");
  });
});
