import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  evaluateTemplate,
  parseTemplate,
  TemplateEvalError,
  TemplateSyntaxError,
  templateCalls,
  templateReferences,
} from "../../src/template/index.js";
import { EXTRA, functions, grammar, json, scope, soup } from "./arbitraries.js";
import { run } from "./helpers.js";

const NUM_RUNS = 500;

/** The contract: parse returns or throws TemplateSyntaxError; evaluate returns or throws TemplateEvalError. */
function checkContract(source: string, values: Record<string, unknown>, escaping: boolean): void {
  let template: ReturnType<typeof parseTemplate>;
  try {
    template = parseTemplate(source, { functions: EXTRA });
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateSyntaxError);
    const { offset } = error as TemplateSyntaxError;
    expect(offset >= 0 && offset <= source.length).toBe(true);
    return;
  }
  templateReferences(template);
  templateCalls(template);
  try {
    evaluateTemplate(template, values, {
      functions,
      ...(escaping && { escape: encodeURIComponent }),
    });
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateEvalError);
  }
}

describe("robustness", () => {
  it("holds for template-ish fragment soup", () => {
    fc.assert(
      fc.property(soup, scope, fc.boolean(), (source, values, escaping) => {
        checkContract(source, values, escaping);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("holds for arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), scope, (source, values) => {
        checkContract(source, values, false);
        checkContract(`{{ ${source} }}`, values, false);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("holds for grammatical templates", () => {
    fc.assert(
      fc.property(grammar, scope, fc.boolean(), (source, values, escaping) => {
        checkContract(source, values, escaping);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("round trips", () => {
  it("reads back any string literal written with JSON escapes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        expect(run(`{{ ${JSON.stringify(text)} }}`)).toBe(text);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("reads back any raw string without backquotes or carriage returns", () => {
    const raw = fc
      .string({ unit: "grapheme" })
      .filter((t) => !t.includes("`") && !t.includes("\r"));
    fc.assert(
      fc.property(raw, (text) => {
        expect(run(`{{ \`${text}\` }}`)).toBe(text);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("reads back any finite number", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(run(`{{ ${String(n)} }}`) === n).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("returns a single field's value unchanged and interpolates it as text", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(run("{{ .v }}", { v: value })).toEqual(value);
        const text =
          typeof value === "string" ? value : value === null ? "" : JSON.stringify(value);
        expect(run("<{{ .v }}>", { v: value })).toBe(`<${text}>`);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("leaves text without actions untouched", () => {
    const text = fc.string({ unit: "binary" }).filter((t) => !t.includes("{{"));
    fc.assert(
      fc.property(text, (source) => {
        expect(run(source)).toBe(source);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
