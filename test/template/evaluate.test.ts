import { describe, expect, it } from "vitest";
import {
  evaluateTemplate,
  MAX_STRING_LENGTH,
  parseTemplate,
  TemplateEvalError,
} from "../../src/template/index.js";
import { evalError, run } from "./helpers.js";

describe("type preservation", () => {
  const scope = { n: 3, b: true, o: { a: [1, 2] }, list: [1, "x"], s: "hi", z: null };

  it("keeps the JSON type of a single action", () => {
    expect(run("{{ .n }}", scope)).toBe(3);
    expect(run("{{ .b }}", scope)).toBe(true);
    expect(run("{{ .o }}", scope)).toEqual({ a: [1, 2] });
    expect(run("{{ .list }}", scope)).toEqual([1, "x"]);
    expect(run("{{ .s }}", scope)).toBe("hi");
    expect(run("{{ .z }}", scope)).toBeNull();
  });

  it("turns a missing value into null", () => {
    expect(run("{{ .missing }}", scope)).toBeNull();
  });

  it("ignores whitespace-only text and comments around a single action", () => {
    expect(run(" {{ .n }} ", scope)).toBe(3);
    expect(run("\n\t{{ .n }}\r\n", scope)).toBe(3);
    expect(run("{{/* why */}} {{ .n }}", scope)).toBe(3);
  });

  it("renders mixed text as a string", () => {
    expect(run("n={{ .n }}", scope)).toBe("n=3");
    expect(run("{{ .n }}{{ .n }}", scope)).toBe("33");
    expect(run("{{ .b }}!", scope)).toBe("true!");
    expect(run("[{{ .z }}|{{ .missing }}]", scope)).toBe("[|]");
    expect(run("o={{ .o }} l={{ .list }}", scope)).toBe('o={"a":[1,2]} l=[1,"x"]');
    expect(run("{{ .s }} ", { s: " x " })).toBe(" x ");
  });

  it("returns text without actions unchanged", () => {
    expect(run("just text", scope)).toBe("just text");
    expect(run("  ", scope)).toBe("  ");
  });
});

describe("escape", () => {
  const escape = encodeURIComponent;

  it("applies to interpolated values only", () => {
    expect(run("/users/{{ .id }}/a b", { id: "x/y z" }, { escape })).toBe("/users/x%2Fy%20z/a b");
  });

  it("applies to every interpolation, whatever its type", () => {
    expect(run("{{ .n }}&{{ .o }}", { n: 1, o: { a: "b c" } }, { escape })).toBe(
      `1&${encodeURIComponent('{"a":"b c"}')}`,
    );
  });

  it("leaves the typed result of a single action alone", () => {
    expect(run("{{ .id }}", { id: "x/y" }, { escape })).toBe("x/y");
  });

  it("reports a failing escape as an evaluation error", () => {
    const error = evalError("a{{ .s }}", { s: "\ud800" }, { escape });
    expect(error.reason).toBe("escape: URI malformed");
    expect(error.offset).toBe(1);
  });
});

describe("fields", () => {
  const scope = { input: { email: "a@b.c", tags: ["x"], nested: { deep: { v: 1 } } }, n: null };

  it("reads chains", () => {
    expect(run("{{ .input.nested.deep.v }}", scope)).toBe(1);
    expect(run("{{ . }}", scope)).toBe(scope);
  });

  it("yields undefined for a missing field anywhere in the chain", () => {
    expect(run("{{ .nope.a.b }}", scope)).toBeNull();
    expect(run("{{ .n.a }}", scope)).toBeNull();
    expect(run("x{{ .input.nope.deeper }}y", scope)).toBe("xy");
  });

  it("fails to read a field of a scalar", () => {
    const error = evalError("ok {{ .input.email.x }}", scope);
    expect(error.reason).toBe(
      'cannot read field "x" of .input.email: it is a string, not an object',
    );
    expect(error.offset).toBe(3);
    expect(evalError("{{ (len .input.tags).x }}", scope).reason).toBe(
      'cannot read field "x" of (...): it is a number, not an object',
    );
  });

  it("fails to read a field of an array, pointing at index", () => {
    expect(evalError("{{ .input.tags.length }}", scope).reason).toBe(
      'cannot read field "length" of .input.tags: it is an array, not an object (use index to read elements)',
    );
  });

  it("treats class instances as opaque", () => {
    expect(evalError("{{ .d.getTime }}", { d: new Date(0) }).reason).toBe(
      'cannot read field "getTime" of .d: it is not a plain object',
    );
  });

  it("reads fields after a parenthesised expression", () => {
    const users = { users: [{ name: "ann" }, { name: "bob" }] };
    expect(run("{{ (index .users 1).name }}", users)).toBe("bob");
    expect(run("{{ (.users | default .other).x }}", { users: null, other: { x: 2 } })).toBe(2);
  });
});

describe("prototype access", () => {
  const scope = { a: { b: 1 }, list: [1] };

  it.each([
    "{{ .constructor }}",
    "{{ .__proto__ }}",
    "{{ .__proto__.x }}",
    "{{ .a.constructor.name }}",
    "{{ .toString }}",
    "{{ .a.hasOwnProperty }}",
    '{{ index . "constructor" }}',
    '{{ index .a "__proto__" }}',
    '{{ index . "__proto__" "polluted" }}',
  ])("%s reads as missing", (source) => {
    expect(run(source, scope)).toBeNull();
  });

  it("reads an own __proto__ key parsed from JSON as ordinary data", () => {
    expect(run("{{ .__proto__.x }}", JSON.parse('{"__proto__": {"x": 1}}'))).toBe(1);
  });

  it("never runs getters", () => {
    let called = false;
    const scope = {};
    Object.defineProperty(scope, "g", {
      enumerable: true,
      get: () => {
        called = true;
        return 1;
      },
    });
    expect(run("{{ .g }}", scope)).toBeNull();
    expect(run('{{ index . "g" }}', scope)).toBeNull();
    expect(called).toBe(false);
  });

  it("ignores non-enumerable properties", () => {
    const scope = {};
    Object.defineProperty(scope, "hidden", { enumerable: false, value: 1 });
    expect(run("{{ .hidden }}", scope)).toBeNull();
  });
});

describe("literals", () => {
  it.each<[string, unknown]>([
    ['{{ "a\\"b\\\\c\\n\\t" }}', 'a"b\\c\n\t'],
    ['{{ "\\u00e9\\U0001F600\\x41\\101\\a\\b\\f\\r\\v" }}', "é😀AA\x07\b\f\r\v"],
    ["{{ `raw \\n\nline` }}", "raw \\n\nline"],
    ["{{ `a\r\nb` }}", "a\nb"],
    ["{{ 42 }}", 42],
    ["{{ -3 }}", -3],
    ["{{ +2 }}", 2],
    ["{{ 1.5 }}", 1.5],
    ["{{ .5 }}", 0.5],
    ["{{ -.5 }}", -0.5],
    ["{{ 1e3 }}", 1000],
    ["{{ 2.5E-1 }}", 0.25],
    ["{{ 0x1F }}", 31],
    ["{{ 0o17 }}", 15],
    ["{{ 0b101 }}", 5],
    ["{{ 0 }}", 0],
    ["{{ true }}", true],
    ["{{ false }}", false],
    ["{{ nil }}", null],
  ])("%s evaluates to %j", (source, expected) => {
    expect(run(source)).toEqual(expected);
  });

  it("reads {{-3}} as the number -3, not a trim marker", () => {
    expect(run("a {{-3}} b")).toBe("a -3 b");
  });
});

describe("pipelines", () => {
  it("passes the piped value as the last argument", () => {
    expect(run('{{ .x | default "none" }}')).toBe("none");
    expect(run('{{ .x | default "none" }}', { x: "set" })).toBe("set");
    expect(run('{{ "a" | printf "%s-%s" "b" }}')).toBe("b-a");
  });

  it("chains several stages", () => {
    expect(run("{{ .s | trim | upper | printf `<%s>` }}", { s: "  hi " })).toBe("<HI>");
  });

  it("evaluates pipelines inside parentheses", () => {
    expect(run('{{ eq (.s | upper) "HI" }}', { s: "hi" })).toBe(true);
  });

  it("evaluates the example condition", () => {
    const source = '{{ and (eq .input.plan "pro") (gt (len .input.items) 0) }}';
    expect(run(source, { input: { plan: "pro", items: [1] } })).toBe(true);
    expect(run(source, { input: { plan: "pro", items: [] } })).toBe(false);
    expect(run(source, { input: { plan: "free", items: [1] } })).toBe(false);
  });
});

describe("trim markers and comments", () => {
  it.each<[string, string]>([
    ["a  {{- .x -}}  b", "aXb"],
    ["a \n\t{{- .x }} b", "aX b"],
    ["a {{ .x -}} \n b", "a Xb"],
    ["a {{- /* c */ -}} b", "ab"],
    ["a{{/* c */}}b", "ab"],
    ["a{{/* }} {{ */}}b", "ab"],
    ["a{{/* multi\nline */}}b", "ab"],
    ["a {{ .x -}} {{- .x }} b", "a XX b"],
  ])("%j renders %j", (source, expected) => {
    expect(run(source, { x: "X" })).toBe(expected);
  });

  it("leaves non-ASCII whitespace alone", () => {
    expect(run("a\u00a0{{- .x }}", { x: "X" })).toBe("a\u00a0X");
  });
});

describe("extra functions", () => {
  const functions = { secret: (name: unknown) => `S:${String(name)}` };

  it("calls functions given in the options", () => {
    expect(run('{{ secret "db" }}', {}, { functions })).toBe("S:db");
    expect(run('{{ "db" | secret | upper }}', {}, { functions })).toBe("S:DB");
  });

  it("fails when a function allowed at parse time is not provided", () => {
    const template = parseTemplate('x{{ secret "db" }}', { functions: ["secret"] });
    expect(() => evaluateTemplate(template, {})).toThrow(
      'template evaluation error at offset 1: function "secret" is not available',
    );
    expect(() => evaluateTemplate(template, {}, { functions: {} })).toThrow(TemplateEvalError);
  });

  it("prefixes a function's failure with its name and keeps the cause", () => {
    const boom = new Error("boom");
    const error = evalError(
      "{{ secret 1 }}",
      {},
      {
        functions: {
          secret: () => {
            throw boom;
          },
        },
      },
    );
    expect(error.reason).toBe("secret: boom");
    expect(error.cause).toBe(boom);
  });

  it("wraps non-Error throws", () => {
    const throwing = {
      secret: () => {
        throw "nope";
      },
    };
    expect(evalError("{{ secret 1 }}", {}, { functions: throwing }).reason).toBe("secret: nope");
  });

  it("rejects asynchronous functions", () => {
    const error = evalError("{{ secret 1 }}", {}, { functions: { secret: async () => "x" } });
    expect(error.reason).toBe(
      "secret: returned a Promise; template functions must be synchronous",
    );
  });

  it("never lets extra functions replace builtins", () => {
    expect(run('{{ upper "a" }}', {}, { functions: { upper: () => "hacked" } })).toBe("A");
  });
});

describe("limits", () => {
  const big = "x".repeat(MAX_STRING_LENGTH / 2 + 1);

  it("caps rendered text at 1 MiB", () => {
    const error = evalError("{{ .s }}{{ .s }}", { s: big });
    expect(error.reason).toBe(`result is longer than ${MAX_STRING_LENGTH} characters (1 MiB)`);
    expect(error.offset).toBe(8);
  });

  it("caps strings built by functions", () => {
    expect(evalError('{{ printf "%s%s" .s .s }}', { s: big }).reason).toBe(
      `printf: result is longer than ${MAX_STRING_LENGTH} characters (1 MiB)`,
    );
    expect(evalError('{{ join .l "" }}', { l: [big, big] }).reason).toMatch(/^join: result/);
  });

  it("allows a result of exactly 1 MiB", () => {
    const half = "x".repeat(MAX_STRING_LENGTH / 2);
    expect(run("{{ .s }}{{ .s }}", { s: half })).toHaveLength(MAX_STRING_LENGTH);
  });
});

describe("TemplateEvalError", () => {
  it("is a non-retryable template_error with a positioned message", () => {
    const error = evalError('a {{ lt 1 "x" }}');
    expect(error.name).toBe("TemplateEvalError");
    expect(error.code).toBe("template_error");
    expect(error.retryable).toBe(false);
    expect(error.offset).toBe(2);
    expect(error.message).toBe(
      "template evaluation error at offset 2: lt: cannot compare number with string",
    );
  });

  it("reports the action that failed, not the first one", () => {
    expect(evalError('{{ .a }} and {{ upper 1 }}', { a: 1 }).offset).toBe(13);
  });

  it("turns a stack overflow on absurdly deep data into an evaluation error", () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => run("{{ eq .d .d }}", { d: deep })).toThrow(TemplateEvalError);
    expect(() => run("{{ json .d }}", { d: deep })).toThrow(TemplateEvalError);
  });
});
