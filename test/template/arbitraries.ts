/** fast-check generators for the template property tests. */
import fc from "fast-check";
import { BUILTIN_FUNCTION_NAMES } from "../../src/template/index.js";

/** Extra function names the generated templates may call. */
export const EXTRA = ["secret"];
const NAMES = [...BUILTIN_FUNCTION_NAMES, ...EXTRA];

/** Implementations for {@link EXTRA} that misbehave in every way a caller's function might. */
export const functions = {
  secret: (...args: unknown[]) => {
    if (args.length === 0) throw new Error("no name");
    if (args.length === 2) throw "not an Error";
    if (args.length === 3) return Promise.resolve(1);
    return args[0];
  },
};

export const json = fc.jsonValue({ maxDepth: 3 });

/** Scopes whose keys match the fields the generators read. */
export const scope = fc.record({
  a: json,
  b: json,
  s: fc.string(),
  n: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
  l: fc.array(json, { maxLength: 4 }),
  o: fc.dictionary(fc.string(), json, { maxKeys: 4 }),
});

const FRAGMENTS = [
  "{{",
  "}}",
  "{{- ",
  " -}}",
  "{{/*",
  "*/}}",
  "|",
  "(",
  ")",
  '"',
  "`",
  "\\",
  "'",
  "$",
  ".a",
  ".b",
  ".s",
  ".l",
  ".o",
  ".n",
  ".",
  ".a.b",
  " ",
  "  ",
  "\n",
  "-",
  "x",
  "1",
  "-1",
  "0",
  "1.5",
  "0x1",
  "1e3",
  "true",
  "false",
  "nil",
  '"x"',
  '"%s"',
  '"%d %v"',
  '"\\u00e9"',
  "`r`",
  ...NAMES,
];
/** Strings glued from template-ish fragments: mostly broken, sometimes valid. */
export const soup = fc
  .array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 })
  .map((parts) => parts.join(""));

/**
 * Argument counts the generator uses, so most generated calls get past the parser's arity
 * check; variadic functions are capped at 3. Names missing here get 0 to 3 arguments.
 */
const ARITY: Readonly<Record<string, readonly [number, number]>> = {
  eq: [2, 3],
  and: [1, 3],
  or: [1, 3],
  index: [1, 3],
  coalesce: [1, 3],
  printf: [1, 3],
  secret: [0, 3],
  ...Object.fromEntries(
    [
      "ne",
      "lt",
      "le",
      "gt",
      "ge",
      "default",
      "contains",
      "hasPrefix",
      "hasSuffix",
      "join",
      "split",
    ].map((name) => [name, [2, 2] as const]),
  ),
  ...Object.fromEntries(
    ["not", "len", "upper", "lower", "trim", "json", "toString", "toNumber"].map((name) => [
      name,
      [1, 1] as const,
    ]),
  ),
};

/** A call with a fitting number of arguments; `piped` of them come from a preceding `|`. */
function call(operand: fc.Arbitrary<string>, piped: number): fc.Arbitrary<string> {
  return fc.constantFrom(...NAMES).chain((name) => {
    const [min, max] = ARITY[name] ?? [0, 3];
    const lengths = { minLength: Math.max(0, min - piped), maxLength: Math.max(0, max - piped) };
    return fc.array(operand, lengths).map((args) => [name, ...args].join(" "));
  });
}

/** Well-formed-looking templates, so evaluation gets exercised and not just the parser. */
export const { template: grammar } = fc.letrec<{
  operand: string;
  command: string;
  pipeline: string;
  template: string;
}>((tie) => ({
  operand: fc.oneof(
    { depthIdentifier: "template", maxDepth: 4 },
    fc.constantFrom(
      ".a",
      ".b",
      ".a.b",
      ".s",
      ".n",
      ".l",
      ".o",
      ".",
      ".o.x",
      "nil",
      "true",
      "false",
      "0",
      "1",
      "-2.5",
      "3",
      '"x"',
      '""',
      '"%s"',
      '"%d"',
      '"%v-%q"',
      '"a,b"',
      "`,`",
    ),
    fc
      .tuple(tie("pipeline"), fc.constantFrom("", "", ".a", ".x.y"))
      .map(([pipeline, fields]) => `(${pipeline})${fields}`),
  ),
  command: fc.oneof({ depthIdentifier: "template" }, tie("operand"), call(tie("operand"), 0)),
  pipeline: fc
    .tuple(tie("command"), fc.array(call(tie("operand"), 1), { maxLength: 2 }))
    .map(([first, rest]) => [first, ...rest].join(" | ")),
  template: fc
    .array(
      fc.oneof(
        fc.constantFrom("", "a", " ", "\n", "x-y/"),
        tie("pipeline").map((pipeline) => `{{ ${pipeline} }}`),
        tie("pipeline").map((pipeline) => `{{- ${pipeline} -}}`),
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((parts) => parts.join("")),
}));
