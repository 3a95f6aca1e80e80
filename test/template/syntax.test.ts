import { describe, expect, it } from "vitest";
import { MaestroError } from "../../src/errors.js";
import {
  isTemplate,
  MAX_PAREN_DEPTH,
  parseTemplate,
  TemplateSyntaxError,
} from "../../src/template/index.js";
import { run, syntaxError } from "./helpers.js";

describe("parseTemplate", () => {
  it("keeps the source", () => {
    expect(parseTemplate("a {{ .b }}").source).toBe("a {{ .b }}");
  });

  it("accepts text without actions, including stray closing braces", () => {
    expect(run("plain }} text")).toBe("plain }} text");
    expect(run("")).toBe("");
  });

  it("accepts newlines inside actions", () => {
    expect(run("{{\n  eq\n  .a\n  1\n}}", { a: 1 })).toBe(true);
  });

  it("accepts a string literal containing the closing delimiter", () => {
    expect(run('{{ "}}" }}')).toBe("}}");
    expect(run("{{ `a }} b` }}")).toBe("a }} b");
  });

  it("accepts unicode field names", () => {
    expect(run("{{ .名前 }}", { 名前: "x" })).toBe("x");
  });

  it("accepts parentheses nested up to the limit", () => {
    const depth = MAX_PAREN_DEPTH;
    const source = `{{ ${"(".repeat(depth)}.x${")".repeat(depth)} }}`;
    expect(run(source, { x: 1 })).toBe(1);
  });
});

describe("isTemplate", () => {
  it("is true only when the source contains {{", () => {
    expect(isTemplate("{{ .x }}")).toBe(true);
    expect(isTemplate("a {{")).toBe(true);
    expect(isTemplate("a { { b }}")).toBe(false);
    expect(isTemplate("")).toBe(false);
  });
});

describe("syntax errors", () => {
  const cases: [source: string, reason: string, offset: number][] = [
    ["{{ .x", "unclosed action", 0],
    ["ab {{ .x }} {{ .y", "unclosed action", 12],
    ["{{ .x }", 'unexpected "}": actions close with "}}"', 6],
    ["{{ uper .x }}", 'unknown function "uper" (did you mean "upper"?)', 3],
    ["{{ hasprefix .x }}", 'unknown function "hasprefix" (did you mean "hasPrefix"?)', 3],
    ["{{ frobnicate }}", 'unknown function "frobnicate"', 3],
    ["{{ constructor }}", 'unknown function "constructor"', 3],
    ["{{ if .x }}", '"if" actions are not supported', 3],
    ['{{ "abc }}', "unterminated quoted string", 3],
    ['{{ "ab\ncd" }}', "unterminated quoted string", 3],
    ["{{ `abc }}", "unterminated raw quoted string", 3],
    ['{{ "a\\q" }}', 'unknown escape sequence "\\q"', 5],
    ['{{ "\\u12" }}', 'invalid escape sequence "\\u12"', 4],
    ['{{ "\\ud800" }}', 'invalid code point in "\\ud800"', 4],
    ["{{ 12abc }}", 'bad number syntax: "12abc"', 3],
    ["{{ 1.2.3 }}", 'bad number syntax: "1.2.3"', 3],
    ["{{ 0x }}", 'bad number syntax: "0x"', 3],
    ["{{ 010 }}", 'bad number syntax: "010" (leading zero)', 3],
    ["{{ 1e999 }}", 'number out of range: "1e999"', 3],
    ["{{ }}", "empty pipeline", 3],
    ["{{}}", "empty pipeline", 2],
    ["{{ () }}", "empty pipeline", 4],
    ["{{ .x | }}", 'missing command after "|"', 8],
    ["{{ .x || upper }}", 'missing command after "|"', 7],
    ["{{ | upper }}", 'missing command before "|"', 3],
    ["{{ .x ) }}", 'unexpected ")"', 6],
    ["{{ (.x }}", "unclosed left paren", 3],
    ["{{ len (.x }}", "unclosed left paren", 7],
    ["{{ .x .y }}", 'unexpected ".y" after ".x": only a function takes arguments', 6],
    ["{{ .x | .y }}", 'cannot pipe into ".y": only a function can receive a piped value', 8],
    ['{{ "a" | true }}', 'cannot pipe into "true": only a function can receive a piped value', 9],
    ['{{ upper "a" "b" }}', "upper expects 1 argument, got 2", 3],
    ['{{ "a" | upper "b" }}', "upper expects 1 argument, got 2 (including the piped value)", 9],
    ["{{ eq 1 }}", "eq expects at least 2 arguments, got 1", 3],
    ["{{ not }}", "not expects 1 argument, got 0", 3],
    [
      "{{ .a-b }}",
      'unexpected "-": names cannot contain "-" (read such keys with index . "a-b")',
      5,
    ],
    ["{{ $x }}", 'variables ("$") are not supported', 3],
    ["{{ # }}", 'unexpected character "#"', 3],
    ["{{ .x. }}", 'expected a field name after "."', 5],
    ["{{ .x.1 }}", 'expected a field name after "."', 5],
    ['{{ "a".b }}', 'unexpected field ".b": fields follow "." or a parenthesised expression', 6],
    ['{{ eq .a"b" }}', 'missing space before "\\"b\\""', 8],
    [
      "{{ eq .x upper }}",
      'unexpected "upper" in arguments: quote strings and put function calls in parentheses',
      9,
    ],
    ["{{ .x-}}", 'unexpected "-": a trim marker needs a space before it (" -}}")', 5],
    ["{{-.x }}", 'unexpected "-": a trim marker needs a space after it ("{{- ")', 2],
    ["a {{ /* x }}", "unclosed comment", 5],
    ["{{/* x */ .y }}", "comment ends before closing delimiter", 10],
    ["{{/* x */-}}", "comment ends before closing delimiter", 9],
  ];

  it.each(cases)("%j fails with %j at offset %i", (source, reason, offset) => {
    const error = syntaxError(source);
    expect({ reason: error.reason, offset: error.offset }).toEqual({ reason, offset });
  });

  it("rejects parentheses nested beyond the limit, at the first parenthesis too many", () => {
    const depth = MAX_PAREN_DEPTH + 1;
    const error = syntaxError(`{{ ${"(".repeat(depth)}.x${")".repeat(depth)} }}`);
    expect(error.reason).toBe(`parentheses nested deeper than ${MAX_PAREN_DEPTH}`);
    expect(error.offset).toBe(3 + MAX_PAREN_DEPTH);
  });

  it("suggests extra functions too", () => {
    expect(syntaxError("{{ secrte .x }}", ["secret"]).reason).toBe(
      'unknown function "secrte" (did you mean "secret"?)',
    );
  });

  it("accepts extra function names given at parse time", () => {
    expect(() => parseTemplate('{{ secret "db" }}', { functions: ["secret"] })).not.toThrow();
  });

  it("is a non-retryable MaestroError with a positioned message", () => {
    const error = syntaxError("{{ .x");
    expect(error).toBeInstanceOf(TemplateSyntaxError);
    expect(error).toBeInstanceOf(MaestroError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("TemplateSyntaxError");
    expect(error.code).toBe("template_error");
    expect(error.retryable).toBe(false);
    expect(error.path).toBeUndefined();
    expect(error.message).toBe("template syntax error at offset 0: unclosed action");
  });

  it("shortens huge literals in messages", () => {
    const error = syntaxError(`{{ 1${"a".repeat(10_000)} }}`);
    expect(error.reason.length).toBeLessThan(80);
  });

  it("rejects a source that is not a string", () => {
    expect(() => parseTemplate(42 as unknown as string)).toThrow(TemplateSyntaxError);
  });
});
