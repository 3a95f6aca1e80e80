/** Graph layers for drawing: each step one column right of its deepest dependency. */
import { describe, expect, it } from "vitest";
import { layers } from "../../src/workflow/graph.js";

describe("layers", () => {
  it("puts a step after its deepest dependency, and independent steps side by side", () => {
    const deps = new Map([
      ["a", []],
      ["b", ["a"]],
      ["c", ["a"]],
      ["d", ["b", "c"]],
      ["e", ["a", "d"]],
      ["lone", []],
    ]);
    expect(Object.fromEntries(layers([...deps.keys()], deps))).toEqual({
      a: 0,
      b: 1,
      c: 1,
      d: 2,
      e: 3,
      lone: 0,
    });
  });
});
