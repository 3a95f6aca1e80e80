import { describe, expect, it } from "vitest";
import { BUILTIN_FUNCTION_NAMES } from "../../src/template/index.js";
import { evalError, run } from "./helpers.js";

const scope = {
  n: 3,
  s: "Hello",
  e: "",
  z: 0,
  f: false,
  nul: null,
  list: [1, "two", true, null, { a: 1 }],
  empty: [],
  obj: { a: 1, b: [1, 2] },
  same: { b: [1, 2], a: 1 },
  other: { a: 1, b: [1, 3] },
  nobj: {},
  users: [{ name: "ann" }, { name: "bob" }],
  m: { k: { "a-b": [10, 20] } },
};

type Case = [source: string, expected: unknown];
type Failure = [source: string, reason: string];

function table(cases: Case[]): void {
  it.each(cases)("%s → %j", (source, expected) => {
    expect(run(source, scope)).toEqual(expected);
  });
}

function failures(cases: Failure[]): void {
  it.each(cases)("%s fails: %s", (source, reason) => {
    expect(evalError(source, scope).reason).toBe(reason);
  });
}

it("lists exactly the documented builtins", () => {
  expect([...BUILTIN_FUNCTION_NAMES].sort()).toEqual(
    [
      "and",
      "coalesce",
      "contains",
      "default",
      "eq",
      "ge",
      "gt",
      "hasPrefix",
      "hasSuffix",
      "index",
      "join",
      "json",
      "le",
      "len",
      "lower",
      "lt",
      "ne",
      "not",
      "or",
      "printf",
      "split",
      "toNumber",
      "toString",
      "trim",
      "upper",
    ].sort(),
  );
});

describe("eq / ne", () => {
  table([
    ["{{ eq 1 1 }}", true],
    ["{{ eq 1 1.0 }}", true],
    ["{{ eq 1 2 }}", false],
    ["{{ eq 1 2 3 1 }}", true],
    ["{{ eq 1 2 3 }}", false],
    ['{{ eq "a" "a" }}', true],
    ['{{ eq 1 "1" }}', false],
    ["{{ eq .obj .same }}", true],
    ["{{ eq .obj .other }}", false],
    ['{{ eq .obj.b (index .same "b") }}', true],
    ["{{ eq .list .list }}", true],
    ["{{ eq .empty .nobj }}", false],
    ["{{ eq .missing nil }}", true],
    ["{{ eq .nul .missing }}", true],
    ["{{ eq .z nil }}", false],
    ["{{ ne 1 2 }}", true],
    ["{{ ne .obj .same }}", false],
    ['{{ .s | eq "Hello" }}', true],
  ]);
});

describe("lt / le / gt / ge", () => {
  table([
    ["{{ lt 1 2 }}", true],
    ["{{ lt 2 2 }}", false],
    ["{{ le 2 2 }}", true],
    ["{{ gt 2.5 2 }}", true],
    ["{{ ge -1 -1 }}", true],
    ['{{ lt "a" "b" }}', true],
    ['{{ gt "b" "ab" }}', true],
    ['{{ ge "a" "a" }}', true],
    ["{{ gt (len .list) 0 }}", true],
  ]);
  failures([
    ['{{ lt 1 "2" }}', "lt: cannot compare number with string"],
    ["{{ gt .missing 0 }}", "gt: cannot compare null with number"],
    ["{{ le true false }}", "le: cannot compare boolean with boolean"],
    ["{{ ge .list .list }}", "ge: cannot compare array with array"],
  ]);
});

describe("and / or / not", () => {
  table([
    ["{{ and 1 2 }}", 2],
    ["{{ and 1 0 2 }}", 0],
    ['{{ and "" 1 }}', ""],
    ["{{ and .missing 1 }}", null],
    ["{{ and 1 }}", 1],
    ["{{ or 0 .s }}", "Hello"],
    ["{{ or 0 .e }}", ""],
    ["{{ or .empty .nobj .list }}", scope.list],
    ["{{ or false }}", false],
    ["{{ not true }}", false],
    ["{{ not .empty }}", true],
    ["{{ not .nobj }}", true],
    ["{{ not .obj }}", false],
    ["{{ not .z }}", true],
    ["{{ not .e }}", true],
    ["{{ not .missing }}", true],
    ["{{ not .s }}", false],
    ["{{ not (index .list 0) }}", false],
  ]);

  it("short-circuits like Go", () => {
    expect(run("{{ and .missing (gt (len .missing) 0) }}", scope)).toBeNull();
    expect(run("{{ or .s (len .missing) }}", scope)).toBe("Hello");
    expect(evalError("{{ and 1 (len .missing) }}", scope).reason).toBe(
      "len: cannot take the length of null",
    );
  });

  it("evaluates a piped argument last", () => {
    expect(run("{{ 0 | and 1 }}", scope)).toBe(0);
    expect(run("{{ 5 | or 0 }}", scope)).toBe(5);
  });
});

describe("len", () => {
  table([
    ['{{ len "héllo" }}', 5],
    ['{{ len "👍" }}', 1],
    ["{{ len .e }}", 0],
    ["{{ len .list }}", 5],
    ["{{ len .obj }}", 2],
    ["{{ len .nobj }}", 0],
  ]);
  failures([
    ["{{ len 3 }}", "len: cannot take the length of number"],
    ["{{ len .missing }}", "len: cannot take the length of null"],
  ]);
});

describe("index", () => {
  table([
    ["{{ index .list 1 }}", "two"],
    ['{{ index .obj "b" 1 }}', 2],
    ['{{ index .m "k" "a-b" 0 }}', 10],
    ['{{ index .obj "zzz" }}', null],
    ['{{ index .missing "a" 3 }}', null],
    ["{{ index .n }}", 3],
    ["{{ (index .users 0).name }}", "ann"],
  ]);
  failures([
    ["{{ index .list 5 }}", "index: index 5 out of range for an array of length 5"],
    ["{{ index .list -1 }}", "index: index -1 out of range for an array of length 5"],
    ["{{ index .list 1.5 }}", "index: an array index must be an integer, got number 1.5"],
    ['{{ index .list "0" }}', "index: an array index must be an integer, got string 0"],
    ["{{ index .obj 0 }}", "index: an object key must be a string, got number"],
    ["{{ index .s 0 }}", "index: cannot index string"],
  ]);
});

describe("default / coalesce", () => {
  table([
    ['{{ default "d" .missing }}', "d"],
    ['{{ default "d" .nul }}', "d"],
    ['{{ default "d" .e }}', "d"],
    ['{{ default "d" .z }}', 0],
    ['{{ default "d" .f }}', false],
    ['{{ default "d" .empty }}', []],
    ['{{ .s | default "d" }}', "Hello"],
    ["{{ coalesce .missing .nul .z .n }}", 0],
    ["{{ coalesce .missing .e }}", ""],
    ["{{ coalesce nil .missing }}", null],
  ]);
});

describe("string functions", () => {
  table([
    ["{{ upper .s }}", "HELLO"],
    ["{{ lower .s }}", "hello"],
    ['{{ trim "  a b \\n" }}', "a b"],
    ['{{ contains .s "ell" }}', true],
    ['{{ contains .s "xyz" }}', false],
    ['{{ hasPrefix .s "He" }}', true],
    ['{{ hasPrefix .s "lo" }}', false],
    ['{{ hasSuffix .s "lo" }}', true],
    ['{{ join .list ", " }}', '1, two, true, , {"a":1}'],
    ['{{ join .empty "," }}', ""],
    ['{{ split "a,b,,c" "," }}', ["a", "b", "", "c"]],
    ['{{ split "a👍" "" }}', ["a", "👍"]],
    ['{{ join (split "a,b" ",") "-" }}', "a-b"],
    ['{{ "-" | join (split "a,b" ",") }}', "a-b"],
  ]);
  failures([
    ["{{ upper 1 }}", "upper: argument 1 must be a string, got number"],
    ["{{ lower .missing }}", "lower: argument 1 must be a string, got null"],
    ["{{ trim .list }}", "trim: argument 1 must be a string, got array"],
    ['{{ contains .list "a" }}', "contains: argument 1 must be a string, got array"],
    ["{{ hasPrefix .s 1 }}", "hasPrefix: argument 2 must be a string, got number"],
    ['{{ hasSuffix 1 "a" }}', "hasSuffix: argument 1 must be a string, got number"],
    ['{{ join .s "," }}', "join: argument 1 must be an array, got string"],
    ["{{ join .list 1 }}", "join: argument 2 must be a string, got number"],
    ['{{ split 1 "," }}', "split: argument 1 must be a string, got number"],
  ]);
});

describe("json / toString / toNumber", () => {
  table([
    ["{{ json .obj }}", '{"a":1,"b":[1,2]}'],
    ["{{ json .s }}", '"Hello"'],
    ["{{ json .missing }}", "null"],
    ["{{ json .nul }}", "null"],
    ["{{ toString .n }}", "3"],
    ["{{ toString .f }}", "false"],
    ["{{ toString .missing }}", ""],
    ["{{ toString .obj }}", '{"a":1,"b":[1,2]}'],
    ['{{ toNumber "42" }}', 42],
    ['{{ toNumber " -1.5e2 " }}', -150],
    ["{{ toNumber 7 }}", 7],
  ]);
  failures([
    ['{{ toNumber "abc" }}', 'toNumber: "abc" is not a number'],
    ['{{ toNumber "" }}', 'toNumber: "" is not a number'],
    ['{{ toNumber "0x10" }}', 'toNumber: "0x10" is not a number'],
    ['{{ toNumber "1e999" }}', 'toNumber: "1e999" is not a number'],
    ["{{ toNumber true }}", "toNumber: boolean is not a number"],
    ["{{ toNumber .missing }}", "toNumber: null is not a number"],
  ]);
});
