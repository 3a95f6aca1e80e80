import { describe, expect, it } from "vitest";
import { joinLine } from "../../src/resilience/line.js";

describe("the line of held-back calls", () => {
  it("spaces calls held back together instead of sending them all back at once", () => {
    let end: number | undefined;
    const slots: number[] = [];
    for (let i = 0; i < 4; i++) {
      const placed = joinLine(end, 1_000, 100);
      slots.push(placed.slot);
      end = placed.end;
    }
    expect(slots).toEqual([1_000, 1_100, 1_200, 1_300]);
  });

  it("starts afresh from `from` once the line has passed", () => {
    expect(joinLine(1_300, 5_000, 100)).toEqual({ slot: 5_000, end: 5_100 });
    expect(joinLine(undefined, 5_000, 100)).toEqual({ slot: 5_000, end: 5_100 });
  });
});
