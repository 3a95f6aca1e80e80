import { describe, expect, it } from "vitest";
import {
  compileValue,
  evaluateValue,
  TemplateEvalError,
  TemplateSyntaxError,
  valueCalls,
  valueReferences,
} from "../../src/template/index.js";

const tree = {
  email: "{{ .input.email }}",
  count: "{{ len .input.items }}",
  label: "user-{{ .user.id }}",
  "{{ .key }}": "keys are not templates",
  flags: [true, 1, null, "{{ .input.flag }}"],
  nested: { deep: [{ token: 'Bearer {{ secret "api" }}' }] },
  plain: "no actions }}",
};

const scope = { input: { email: "a@b.c", items: [1, 2], flag: false }, user: { id: 7 } };
const functions = { secret: (name: unknown) => `<${String(name)}>` };

describe("compileValue / evaluateValue", () => {
  it("evaluates every string leaf and passes other leaves through", () => {
    const compiled = compileValue(tree, { functions: ["secret"] });
    expect(compiled.source).toBe(tree);
    expect(evaluateValue(compiled, scope, { functions })).toEqual({
      email: "a@b.c",
      count: 2,
      label: "user-7",
      "{{ .key }}": "keys are not templates",
      flags: [true, 1, null, false],
      nested: { deep: [{ token: "Bearer <api>" }] },
      plain: "no actions }}",
    });
  });

  it("accepts scalars and a lone template at the root", () => {
    expect(evaluateValue(compileValue(5), {})).toBe(5);
    expect(evaluateValue(compileValue(null), {})).toBeNull();
    expect(evaluateValue(compileValue("{{ .a }}"), { a: [1] })).toEqual([1]);
  });

  it("keeps a __proto__ key as an ordinary own key", () => {
    const source = JSON.parse('{"__proto__": {"x": "{{ .v }}"}}');
    const result = evaluateValue(compileValue(source), { v: 1 }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(result, "__proto__")?.value).toEqual({ x: 1 });
  });

  it("builds fresh containers on every evaluation", () => {
    const compiled = compileValue({ list: ["{{ .a }}"] });
    const first = evaluateValue(compiled, { a: 1 });
    const second = evaluateValue(compiled, { a: 2 });
    expect(first).toEqual({ list: [1] });
    expect(second).toEqual({ list: [2] });
  });

  it("reports a syntax error with the path to the faulty leaf", () => {
    let caught: unknown;
    try {
      compileValue({ steps: [{ input: { email: "x {{ .a" } }] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TemplateSyntaxError);
    const error = caught as TemplateSyntaxError;
    expect(error.path).toEqual(["steps", 0, "input", "email"]);
    expect(error.offset).toBe(2);
    expect(error.reason).toBe("unclosed action");
    expect(error.message).toBe(
      "template syntax error in steps[0].input.email at offset 2: unclosed action",
    );
  });

  it("quotes odd keys in the message path", () => {
    expect(() => compileValue({ "content-type": "{{ nope }}" })).toThrow(
      'template syntax error in ["content-type"] at offset 3: unknown function "nope"',
    );
  });

  it("rejects unknown functions unless allowed", () => {
    expect(() => compileValue(tree)).toThrow(TemplateSyntaxError);
  });

  it("rejects a value that contains itself", () => {
    const cyclic: Record<string, unknown> = { a: "{{ .x }}" };
    cyclic.self = cyclic;
    expect(() => compileValue(cyclic)).toThrow(TemplateSyntaxError);
  });

  it("reports an evaluation error with the path to the failing leaf", () => {
    const compiled = compileValue({ a: ["ok", { b: 'x {{ lt 1 "2" }}' }] });
    let caught: unknown;
    try {
      evaluateValue(compiled, {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TemplateEvalError);
    const error = caught as TemplateEvalError;
    expect(error.path).toEqual(["a", 1, "b"]);
    expect(error.offset).toBe(2);
    expect(error.reason).toBe("lt: cannot compare number with string");
    expect(error.message).toBe(
      "template evaluation error in a[1].b at offset 2: lt: cannot compare number with string",
    );
  });

  it("applies the escape option to mixed strings in the tree", () => {
    const compiled = compileValue({ path: "/u/{{ .id }}", raw: "{{ .id }}" });
    expect(evaluateValue(compiled, { id: "a b" }, { escape: encodeURIComponent })).toEqual({
      path: "/u/a%20b",
      raw: "a b",
    });
  });
});

describe("valueReferences / valueCalls", () => {
  const compiled = compileValue(tree, { functions: ["secret"] });

  it("lists references with the path of their string", () => {
    expect(valueReferences(compiled)).toEqual([
      { path: ["input", "email"], offset: 3, at: ["email"] },
      { path: ["input", "items"], offset: 7, at: ["count"] },
      { path: ["user", "id"], offset: 8, at: ["label"] },
      { path: ["input", "flag"], offset: 3, at: ["flags", 3] },
    ]);
  });

  it("lists calls with the path of their string", () => {
    expect(valueCalls(compiled)).toEqual([
      { name: "len", args: [undefined], offset: 3, at: ["count"] },
      { name: "secret", args: ["api"], offset: 10, at: ["nested", "deep", 0, "token"] },
    ]);
  });
});
