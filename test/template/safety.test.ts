import { describe, expect, it } from "vitest";
import { MAX_STRING_LENGTH, TemplateEvalError } from "../../src/template/index.js";
import { evalError, run } from "./helpers.js";

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
    expect(evalError("{{ .a }} and {{ upper 1 }}", { a: 1 }).offset).toBe(13);
  });

  it("turns a stack overflow on absurdly deep data into an evaluation error", () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => run("{{ eq .d .d }}", { d: deep })).toThrow(TemplateEvalError);
    expect(() => run("{{ json .d }}", { d: deep })).toThrow(TemplateEvalError);
  });
});
