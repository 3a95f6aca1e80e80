import { describe, expect, it } from "vitest";
import { evalError, run } from "./helpers.js";

const scope = { n: 3, obj: { a: 1, b: [1, 2] } };

describe("printf", () => {
  it.each<[string, unknown]>([
    ['{{ printf "%s-%d" "a" 3 }}', "a-3"],
    ['{{ printf "%v|%v|%v" .obj .missing true }}', '{"a":1,"b":[1,2]}||true'],
    ['{{ printf "%q" "a\\"b" }}', '"a\\"b"'],
    ['{{ printf "%f" 1.5 }}', "1.500000"],
    ['{{ printf "%.2f" 3.14159 }}', "3.14"],
    ['{{ printf "%.0f" 2.5 }}', "3"],
    ['{{ printf "100%%" }}', "100%"],
    ['{{ printf "%d" 1e21 }}', "1000000000000000000000"],
    ['{{ printf "%d" -0 }}', "0"],
    ['{{ printf "%s" .n }}', "3"],
    ['{{ printf "no verbs" }}', "no verbs"],
  ])("%s → %j", (source, expected) => {
    expect(run(source, scope)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['{{ printf "%s %s" "a" }}', "printf: the format needs more than the 1 argument(s) given"],
    ['{{ printf "%s" "a" "b" }}', "printf: 2 argument(s) given but the format uses 1"],
    ['{{ printf "%x" 1 }}', 'printf: unsupported verb "%x" (supported: %s %d %v %q %f %%)'],
    ['{{ printf "%5d" 1 }}', 'printf: unsupported verb "%5" (supported: %s %d %v %q %f %%)'],
    ['{{ printf "50%" }}', 'printf: the format ends with a lone "%"'],
    ['{{ printf "%d" 1.5 }}', "printf: %d needs an integer, got 1.5"],
    ['{{ printf "%d" "1" }}', "printf: %d needs an integer, got string"],
    ['{{ printf "%f" "1" }}', "printf: %f needs a number, got string"],
    ["{{ printf 1 }}", "printf: the format must be a string, got number"],
  ])("%s fails: %s", (source, reason) => {
    expect(evalError(source, scope).reason).toBe(reason);
  });
});
