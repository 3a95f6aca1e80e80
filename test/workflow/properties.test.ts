/**
 * Property tests: whatever the text, loadWorkflow returns (never throws), and every
 * diagnostic has a real position. Inputs range from arbitrary text to valid workflows with
 * random mutations, so most runs reach the semantic checks rather than stopping at YAML.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type LoadResult, loadWorkflow, MAX_WORKFLOW_BYTES } from "../../src/workflow/load.js";
import {
  mutatedWorkflow,
  randomDependencies,
  SYNTAX,
  TEMPLATES,
  yamlishText,
} from "./arbitraries.js";
import { EXAMPLES, readRepoFile, SEED } from "./helpers.js";

const RUNS = 300;

/** The contract every result keeps, whatever the input. */
function checkResult(result: LoadResult, text: string, file: string): void {
  const lineCount = text.split(/\r\n|\r|\n/).length;
  if (!result.ok) expect(result.diagnostics.length).toBeGreaterThan(0);
  for (const d of result.diagnostics) {
    expect(d.file).toBe(file);
    expect(Number.isInteger(d.line) && d.line >= 1 && d.line <= lineCount + 1).toBe(true);
    expect(Number.isInteger(d.column) && d.column >= 1).toBe(true);
    expect(d.message.length).toBeGreaterThan(0);
  }
  if (result.ok) {
    // A workflow that loads is a sound graph: known dependencies, listed before their dependents.
    const { steps } = result.workflow;
    const seen = new Set<string>();
    for (const step of steps) {
      for (const dep of step.dependsOn) expect(seen.has(dep)).toBe(true);
      seen.add(step.id);
    }
    expect(steps.length).toBeGreaterThan(0);
  }
}

function load(text: string): LoadResult {
  const result = loadWorkflow(text, "prop.yaml");
  checkResult(result, text, "prop.yaml");
  return result;
}

describe("loadWorkflow never throws", () => {
  it("on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        load(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("on YAML-looking junk", () => {
    fc.assert(
      fc.property(yamlishText, (text) => {
        load(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("on valid workflows with random mutations (deleted keys, wrong types, templates)", () => {
    const SEMANTIC =
      /reads \.|depends_on: unknown|dependency cycle|duplicate id|not defined in|template: /;
    let ok = 0;
    let semantic = 0;
    fc.assert(
      fc.property(mutatedWorkflow, (root) => {
        const result = load(stringify(root));
        if (result.ok) ok++;
        if (result.diagnostics.some((d) => SEMANTIC.test(d.message))) semantic++;
      }),
      { numRuns: RUNS },
    );
    // The mutations are mild enough that many runs get past the shape checks.
    expect(ok).toBeGreaterThan(0);
    expect(semantic).toBeGreaterThan(0);
  });

  it("on random depends_on: cycles, unknown names, groups", () => {
    fc.assert(
      fc.property(randomDependencies, (root) => {
        const result = load(stringify(root));
        for (const d of result.diagnostics) {
          expect(d.message).toMatch(/^(depends_on: unknown step|dependency cycle: |step |output)/);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("on valid workflow text with characters inserted or deleted", () => {
    const texts = [SEED, ...EXAMPLES].map(readRepoFile);
    const edit = fc.record({
      which: fc.nat({ max: texts.length - 1 }),
      at: fc.nat(),
      remove: fc.nat({ max: 8 }),
      insert: fc.oneof(fc.constantFrom(...SYNTAX, ...TEMPLATES), fc.string({ maxLength: 4 })),
    });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        let text = texts[edits[0]?.which ?? 0] ?? "";
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
        }
        load(text);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("hostile documents get a clear error quickly", () => {
  it("a document over 1 MiB is refused before parsing", () => {
    const started = performance.now();
    const big = `name: big\nversion: "1"\ndescription: ${"x".repeat(MAX_WORKFLOW_BYTES)}\n`;
    expect(load(big).diagnostics.map((d) => d.message)).toEqual([
      "workflow is larger than 1048576 bytes",
    ]);
    // Counted in UTF-8 bytes, not characters: 600 000 × "é" is 1.2 MB.
    expect(load(`description: ${"é".repeat(600_000)}\n`).ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("an alias bomb (billion laughs) is stopped, not expanded", () => {
    const bomb = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i <= 9; i++) {
      bomb.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(", ")}]`);
    }
    const text = `${bomb.join("\n")}\nname: bomb\nversion: "1"\nsteps:\n  - id: a\n    sleep: 1s\n    input: *a9\n`;
    const started = performance.now();
    const result = load(text);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((d) => d.message)).toEqual([
      "YAML: Excessive alias count indicates a resource exhaustion attack",
    ]);
  });

  it("deep nesting is an error, not a stack overflow", () => {
    const depth = 10_000;
    const text = `name: deep\nversion: "1"\nsteps:\n  - id: a\n    sleep: 1s\n    when: ${"[".repeat(depth)}${"]".repeat(depth)}\n`;
    const result = load(text);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.every((d) => d.message.startsWith("YAML: "))).toBe(true);
  });
});
