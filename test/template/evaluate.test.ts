import { describe, expect, it } from "vitest";
import { evaluateTemplate, parseTemplate, TemplateEvalError } from "../../src/template/index.js";
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
  const escaping = { escape: encodeURIComponent };

  it("applies to interpolated values only", () => {
    expect(run("/users/{{ .id }}/a b", { id: "x/y z" }, escaping)).toBe("/users/x%2Fy%20z/a b");
  });

  it("applies to every interpolation, whatever its type", () => {
    expect(run("{{ .n }}&{{ .o }}", { n: 1, o: { a: "b c" } }, escaping)).toBe(
      `1&${encodeURIComponent('{"a":"b c"}')}`,
    );
  });

  it("leaves the typed result of a single action alone", () => {
    expect(run("{{ .id }}", { id: "x/y" }, escaping)).toBe("x/y");
  });

  it("reports a failing escape as an evaluation error", () => {
    const error = evalError("a{{ .s }}", { s: "\ud800" }, escaping);
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
    expect(error.reason).toBe("secret: returned a Promise; template functions must be synchronous");
  });

  it("never lets extra functions replace builtins", () => {
    expect(run('{{ upper "a" }}', {}, { functions: { upper: () => "hacked" } })).toBe("A");
  });
});
