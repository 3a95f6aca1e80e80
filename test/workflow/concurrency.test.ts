/** The workflow-level `concurrency` setting: shape, key templates and their positions. */
import { describe, expect, it } from "vitest";
import { loadWorkflow } from "../../src/workflow/load.js";
import { compiled, errorsOf, HEADER, yaml } from "./helpers.js";

const STEPS = yaml(
  "  - id: create_user",
  "    service: auth",
  "    method: CreateUser",
  "    output: user",
);

describe("concurrency", () => {
  it("is off by default", () => {
    expect(compiled(loadWorkflow(HEADER + STEPS)).concurrency).toBeUndefined();
  });

  it("compiles max, and a key template over the input", () => {
    const plain = compiled(loadWorkflow(`${HEADER + STEPS}concurrency: { max: 3 }\n`));
    expect(plain.concurrency).toEqual({ max: 3 });
    const keyed = compiled(
      loadWorkflow(`${HEADER + STEPS}concurrency: { max: 1, key: "{{ .input.customer_id }}" }\n`),
    );
    expect(keyed.concurrency?.max).toBe(1);
    expect(keyed.concurrency?.key?.source).toBe("{{ .input.customer_id }}");
  });

  it("reports a bad max, an unknown field, a key reading a step's output, a syntax error", () => {
    expect(errorsOf(`${HEADER + STEPS}concurrency: { max: 0 }\n`)).toEqual([
      "inline.yaml:15:21: concurrency.max: Too small: expected number to be >=1",
    ]);
    expect(errorsOf(`${HEADER + STEPS}concurrency: { max: 2, per: x }\n`)).toEqual([
      "inline.yaml:15:24: concurrency.per: unknown field",
    ]);
    expect(errorsOf(`${HEADER + STEPS}concurrency:\n  max: 1\n  key: "{{ .user.id }}"\n`)).toEqual([
      'inline.yaml:17:12: concurrency key reads .user.id, but nothing is named "user": use .input, .run or a step\'s output',
    ]);
    expect(
      errorsOf(`${HEADER + STEPS}concurrency:\n  max: 1\n  key: "{{ .input.id "\n`),
    ).toHaveLength(1);
  });
});
