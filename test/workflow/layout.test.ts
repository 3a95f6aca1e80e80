import { describe, expect, it } from "vitest";
import { loadWorkflow } from "../../src/workflow/load.js";
import { compiled, dependencies, errorsOf, HEADER, loadRepoFile, yaml } from "./helpers.js";

describe("parallel groups", () => {
  const workflow = compiled(loadRepoFile("test/fixtures/parallel_groups.yaml"));

  it("makes members depend on what precedes the group, and what follows on all members", () => {
    expect(dependencies(workflow)).toEqual({
      start: [],
      left: ["start"],
      right: ["start"],
      // The join: the step after a group waits for every member.
      join: ["left", "right"],
      // depends_on naming a group means all of its members.
      audit: ["left", "right"],
      // A group's own depends_on replaces the default for its members ...
      p: ["start"],
      // ... and a member's own depends_on replaces the group's.
      q: ["join", "audit"],
      finish: ["p", "q"],
    });
  });

  it("records each member's group; an unnamed group is named after its position", () => {
    expect(Object.fromEntries(workflow.steps.map((s) => [s.id, s.group]))).toEqual({
      start: undefined,
      left: "fan_out",
      right: "fan_out",
      join: undefined,
      audit: undefined,
      p: "parallel_4",
      q: "parallel_4",
      finish: undefined,
    });
  });

  it("gives members the group's condition before their own", () => {
    const when = (id: string) => workflow.stepsById.get(id)?.when.map((w) => w.source);
    expect(when("left")).toEqual(["{{ .input.fan }}"]);
    expect(when("right")).toEqual(["{{ .input.fan }}", "{{ .input.right }}"]);
    expect(when("join")).toEqual([]);
  });

  it("lets a member read what precedes the group, and the join read a member", () => {
    expect(workflow.stepsById.get("left")?.needs).toEqual(["start"]);
    expect(workflow.stepsById.get("join")?.needs).toEqual(["left"]);
    expect(Object.fromEntries(workflow.dependents)).toMatchObject({
      start: ["left", "right", "p"],
      left: ["join", "audit"],
      right: ["join", "audit"],
    });
  });

  it("lists the steps in a topological order that keeps the file's order", () => {
    expect(workflow.steps.map((s) => s.id)).toEqual([
      "start",
      "left",
      "right",
      "join",
      "audit",
      "p",
      "q",
      "finish",
    ]);
  });
});

/** A workflow of the given steps under the standard header. */
function loadWorkflowText(...steps: string[]) {
  return loadWorkflow(HEADER + yaml(...steps), "inline.yaml");
}

describe("depends_on", () => {
  it("may point forward, and then the order follows the graph", () => {
    const workflow = compiled(
      loadWorkflowText(
        "  - id: second",
        "    sleep: 1s",
        "    depends_on: first",
        "  - id: first",
        "    sleep: 1s",
        "    depends_on: []",
      ),
    );
    expect(workflow.steps.map((s) => s.id)).toEqual(["first", "second"]);
    expect(dependencies(workflow)).toEqual({ first: [], second: ["first"] });
  });

  it("with an empty list makes a step a root that runs at the start", () => {
    const workflow = compiled(
      loadWorkflowText(
        "  - id: a",
        "    sleep: 1s",
        "  - id: b",
        "    sleep: 1s",
        "    depends_on: []",
      ),
    );
    expect(dependencies(workflow)).toEqual({ a: [], b: [] });
  });

  it("skips an invalid step: the next one follows what preceded it", () => {
    // The broken step is reported; it does not add a second error to its successor.
    expect(
      errorsOf(
        HEADER +
          yaml(
            "  - id: a",
            "    service: auth",
            "    method: A",
            "    output: user",
            "  - id: 2b",
            "    sleep: 1s",
            "  - id: c",
            "    service: auth",
            "    method: C",
            '    input: { id: "{{ .user.id }}" }',
          ),
      ),
    ).toEqual([
      "inline.yaml:15:9: steps[1].id: must start with a letter or _ and contain only letters, digits and _",
    ]);
  });
});
