/**
 * The cron evaluator against croner (a widely used cron library, kept as a test oracle):
 * random expressions from the whole grammar, random instants, the same next fire time —
 * and the same verdict on what is not an expression.
 */
import { Cron } from "croner";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextCron, parseCron } from "../../src/workflow/cron.js";

function oracle(expression: string, afterMs: number): number | undefined | "invalid" {
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone: "UTC", paused: true });
  } catch {
    return "invalid";
  }
  return cron.nextRun(new Date(afterMs))?.getTime();
}

function ours(expression: string, afterMs: number): number | undefined | "invalid" {
  const spec = parseCron(expression);
  return "error" in spec ? "invalid" : nextCron(spec, afterMs);
}

const MONTHS = ["JAN", "feb", "Mar", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "tue", "WED", "Thu", "FRI", "SAT"];

/** A value of the field, sometimes written as a name. */
const value = (min: number, max: number, names?: readonly string[], namesFrom = 0) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min, max }).map(String) },
    ...(names
      ? [{ weight: 1, arbitrary: fc.constantFrom(...names.map((_, i) => i + namesFrom)) }]
      : []),
  );

function item(min: number, max: number, maxStep: number, names?: readonly string[], from = 0) {
  const named = (n: number | string) =>
    names && typeof n === "number" ? (names[n - from] ?? String(n)) : String(n);
  const v = value(min, max, names, from).map(named);
  const ordered = fc
    .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
  return fc.oneof(
    fc.constant("*"),
    v,
    ordered.map(([a, b]) => `${named(a)}-${named(b)}`),
    fc.integer({ min: 1, max: maxStep }).map((s) => `*/${s}`),
    fc.tuple(ordered, fc.integer({ min: 1, max: maxStep })).map(([[a, b], s]) => `${a}-${b}/${s}`),
  );
}

const list = (arb: fc.Arbitrary<string>) =>
  fc.array(arb, { minLength: 1, maxLength: 3 }).map((items) => items.join(","));

const minute = list(item(0, 59, 60));
const hour = list(item(0, 23, 24));
const month = list(item(1, 12, 12, MONTHS, 1));
const dayOfMonth = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("*", "?") },
  { weight: 3, arbitrary: list(item(1, 31, 31)) },
  {
    weight: 2,
    arbitrary: list(
      fc.oneof(
        fc.constant("L"),
        fc.integer({ min: 1, max: 31 }).map((d) => `${d}W`),
      ),
    ),
  },
  { weight: 1, arbitrary: fc.constant("LW") },
);
const weekday = (n: number) => WEEKDAYS[n % 7] ?? "SUN";
const dayOfWeek = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("*", "?") },
  { weight: 3, arbitrary: list(item(0, 7, 7, WEEKDAYS, 0)) },
  {
    weight: 2,
    arbitrary: list(
      fc.oneof(
        fc.integer({ min: 0, max: 7 }).map((d) => `${d}L`),
        fc.integer({ min: 0, max: 6 }).map((d) => `${weekday(d)}L`),
        fc
          .tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 5 }))
          .map(([d, k]) => `${d}#${k}`),
      ),
    ),
  },
);
/** Hours and minutes kept sparse sometimes, so that day rules decide most answers. */
const expression = fc
  .tuple(
    fc.oneof(minute, fc.integer({ min: 0, max: 59 }).map(String)),
    fc.oneof(hour, fc.integer({ min: 0, max: 23 }).map(String)),
    dayOfMonth,
    fc.oneof({ weight: 3, arbitrary: fc.constant("*") }, { weight: 1, arbitrary: month }),
    dayOfWeek,
  )
  .map((fields) => fields.join(" "));

const instant = fc
  .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2040-12-31T23:59:59Z") })
  .filter((d) => !Number.isNaN(d.getTime()))
  .map((d) => d.getTime());

describe("cron expressions", () => {
  it("fire when croner says they fire", () => {
    fc.assert(
      fc.property(expression, instant, (expr, after) => {
        expect(ours(expr, after), `${expr} after ${new Date(after).toISOString()}`).toBe(
          oracle(expr, after),
        );
      }),
      { numRuns: 3000 },
    );
  });

  it("agree with croner on hand-picked corners", () => {
    const jan1 = Date.UTC(2026, 0, 1);
    for (const expr of [
      "0 0 15W * *",
      "0 0 1W * *",
      "0 0 31W * *",
      "0 0 LW * *",
      "0 0 L,15 * *",
      "0 0 * * 5L",
      "0 0 * * 7L",
      "0 0 * * FRIL",
      "0 0 * * 5#3,1#1",
      "0 0 * * 1-5#2",
      "0 0 * * 0#5",
      "0 0 */10 * 1",
      "0 0 1 * */2",
      "0 0 29 2 *",
      "0-59/60 * * * *",
      "00 00 01 * *",
      "59 23 31 12 *",
    ]) {
      let after = jan1;
      for (let i = 0; i < 6; i++) {
        const next = oracle(expr, after);
        expect(ours(expr, after), `${expr} #${i}`).toBe(next);
        if (typeof next !== "number") break;
        after = next;
      }
    }
  });

  it("refuse what is not an expression, saying why", () => {
    for (const [expr, reason] of [
      ["*/0 * * * *", "at least 1"],
      ["0 0 * * 5-1", "backwards"],
      ["0 0 * * 8", "outside 0–7"],
      ["60 * * * *", "outside 0–59"],
      ["0 0 0 * *", "outside 1–31"],
      ["0 0 * 13 *", "outside 1–12"],
      ["*/61 * * * *", "larger than the field"],
      ["0 0 * * */8", "larger than the field"],
      ["5/15 * * * *", 'write "*/15"'],
      ["0 0 L-2 * *", "not a number"],
      ["0 0 LW,1 * *", "only value"],
      ["0 0 * * L", "not a number"],
      ["0 0 * * 1#6", "#1–#5"],
      ["+1 0 * * *", "characters"],
      ["0 0 * *", "expected 5 fields, got 4"],
      ["0 0 * * MONDAY", "not a number"],
    ] as const) {
      const parsed = parseCron(expr);
      expect(parsed, expr).toHaveProperty("error");
      expect((parsed as { error: string }).error, expr).toContain(reason);
      expect(oracle(expr, 0), `croner also refuses ${expr}`).toBe("invalid");
    }
  });

  it("keep ? to the day fields (croner lets it stand for * anywhere)", () => {
    expect(parseCron("0 ? * * *")).toEqual({ error: 'hour: "?" is only for the day fields' });
  });

  it("say when an expression never fires", () => {
    const spec = parseCron("0 0 30 2 *");
    expect(spec).not.toHaveProperty("error");
    expect(nextCron(spec as Exclude<typeof spec, { error: string }>, 0)).toBeUndefined();
  });
});
