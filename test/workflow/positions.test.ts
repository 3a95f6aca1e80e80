/**
 * Positions inside scalars: a template's offset counts characters of the value, the
 * diagnostic must count characters of the file. Quotes, escapes, folding and block
 * indentation sit between the two.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isScalar, parseDocument, Scalar, stringify } from "yaml";
import { decodeScalar } from "../../src/workflow/diagnostics.js";
import { loadWorkflow } from "../../src/workflow/load.js";

const RUNS = 300;
const STYLES = [
  Scalar.PLAIN,
  Scalar.QUOTE_DOUBLE,
  Scalar.QUOTE_SINGLE,
  Scalar.BLOCK_LITERAL,
  Scalar.BLOCK_FOLDED,
] as const;

/** Text that needs quoting, escaping or folding: quotes, backslashes, tabs, breaks, non-ASCII. */
const awkward = fc
  .array(
    fc.oneof(
      fc.constantFrom('"', "'", "\\", "\t", "\n", "\n\n", " ", "  ", "é", "😀", "#", ": ", "- "),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: "binary", maxLength: 2 }),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(""));

describe("decodeScalar", () => {
  it("decodes every scalar style the yaml library writes to the value it reads back", () => {
    fc.assert(
      fc.property(
        awkward,
        fc.constantFrom(...STYLES),
        fc.nat({ max: 60 }),
        (value, style, width) => {
          const text = stringify(
            { x: value },
            { defaultStringType: style, lineWidth: 20 + width, minContentWidth: 0 },
          );
          const doc = parseDocument(text);
          const node = doc.get("x", true);
          if (!isScalar(node) || !node.range || typeof node.value !== "string") return;
          const decoded = decodeScalar(
            text.slice(node.range[0], node.range[1]),
            node.type,
            node.value,
          );
          // Flow scalars decode exactly; block scalars up to their final line breaks (chomping).
          if (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") {
            const body = node.value.replace(/\n+$/, "");
            expect(decoded?.value.slice(0, body.length)).toBe(body);
          } else {
            expect(decoded?.value).toBe(node.value);
          }
          expect(decoded?.from.length).toBe((decoded?.value.length ?? 0) + 1);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("a template reference's position", () => {
  it("is the place of its first character in the file, however the string is written", () => {
    const noBraces = awkward.map((s) => s.replace(/[{}]/g, ""));
    fc.assert(
      fc.property(
        noBraces,
        noBraces,
        fc.constantFrom(...STYLES),
        fc.nat({ max: 60 }),
        (before, after, style, width) => {
          const workflow = {
            name: "positions",
            version: "1",
            services: { auth: { type: "grpc", endpoint: "auth:1" } },
            steps: [
              {
                id: "a",
                service: "auth",
                method: "A",
                input: { x: `${before}{{ .nope_ref }}${after}` },
              },
            ],
          };
          const text = stringify(workflow, {
            defaultStringType: style,
            lineWidth: 20 + width,
            minContentWidth: 0,
          });
          const result = loadWorkflow(text, "p.yaml");
          const found = result.diagnostics.filter((d) => d.message.includes(".nope_ref"));
          expect(found).toHaveLength(1);
          const [d] = found;
          if (!d) return;
          const lines = text.split("\n");
          const offset =
            lines.slice(0, d.line - 1).reduce((sum, line) => sum + line.length + 1, 0) +
            d.column -
            1;
          expect(text.slice(offset, offset + ".nope_ref".length)).toBe(".nope_ref");
        },
      ),
      { numRuns: RUNS },
    );
  });
});
