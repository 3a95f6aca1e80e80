/**
 * The fixed function registry. Arity is declared so the parser can reject `upper "a" "b"`
 * when the workflow is loaded instead of when a run reaches the step. Functions throw plain
 * Errors; the evaluator prefixes the function's name.
 */
import { printf } from "./printf.js";
import {
  deepEqual,
  isMissing,
  isPlainObject,
  isTruthy,
  ownValue,
  toText,
  typeName,
} from "./values.js";

export interface Arity {
  readonly min: number;
  readonly max: number;
}

export type Builtin =
  | {
      readonly arity: Arity;
      readonly lazy?: false;
      readonly call: (args: readonly unknown[]) => unknown;
    }
  /** Receives thunks so `and`/`or` stop evaluating once the answer is known, as in Go. */
  | {
      readonly arity: Arity;
      readonly lazy: true;
      readonly call: (args: readonly (() => unknown)[]) => unknown;
    };

const ONE = { min: 1, max: 1 };
const TWO = { min: 2, max: 2 };
const ONE_OR_MORE = { min: 1, max: Number.POSITIVE_INFINITY };
const TWO_OR_MORE = { min: 2, max: Number.POSITIVE_INFINITY };

function str(args: readonly unknown[], i: number): string {
  const value = args[i];
  if (typeof value !== "string") {
    throw new Error(`argument ${i + 1} must be a string, got ${typeName(value)}`);
  }
  return value;
}

function compare(a: unknown, b: unknown): number {
  if (
    (typeof a === "number" && typeof b === "number") ||
    (typeof a === "string" && typeof b === "string")
  ) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  throw new Error(`cannot compare ${typeName(a)} with ${typeName(b)}`);
}

function comparison(test: (order: number) => boolean): Builtin {
  return { arity: TWO, call: ([a, b]) => test(compare(a, b)) };
}

function logical(stopWhen: boolean): Builtin {
  return {
    arity: ONE_OR_MORE,
    lazy: true,
    call: (args) => {
      let value: unknown;
      for (const arg of args) {
        value = arg();
        if (isTruthy(value) === stopWhen) return value;
      }
      return value;
    },
  };
}

function length(value: unknown): number {
  if (typeof value === "string") {
    // Characters as people count them, not UTF-16 halves of an emoji.
    let count = 0;
    for (const _ of value) count++;
    return count;
  }
  if (Array.isArray(value)) return value.length;
  if (isPlainObject(value)) return Object.keys(value).length;
  throw new Error(`cannot take the length of ${typeName(value)}`);
}

function indexStep(container: unknown, key: unknown): unknown {
  if (isMissing(container)) return undefined;
  if (Array.isArray(container)) {
    if (typeof key !== "number" || !Number.isInteger(key)) {
      throw new Error(`an array index must be an integer, got ${typeName(key)} ${toText(key)}`);
    }
    if (key < 0 || key >= container.length) {
      throw new Error(`index ${key} out of range for an array of length ${container.length}`);
    }
    return ownValue(container, key);
  }
  if (isPlainObject(container)) {
    if (typeof key !== "string") {
      throw new Error(`an object key must be a string, got ${typeName(key)}`);
    }
    return ownValue(container, key);
  }
  throw new Error(`cannot index ${typeName(container)}`);
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function toNumber(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && NUMERIC.test(value.trim())) {
    const parsed = Number(value.trim());
    if (Number.isFinite(parsed)) return parsed;
  }
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : typeName(value);
  throw new Error(`${shown} is not a number`);
}

/** Builtins by name. A Map, so names like `constructor` can never resolve to Object members. */
export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ["eq", { arity: TWO_OR_MORE, call: ([a, ...rest]) => rest.some((b) => deepEqual(a, b)) }],
  ["ne", { arity: TWO, call: ([a, b]) => !deepEqual(a, b) }],
  ["lt", comparison((order) => order < 0)],
  ["le", comparison((order) => order <= 0)],
  ["gt", comparison((order) => order > 0)],
  ["ge", comparison((order) => order >= 0)],
  ["and", logical(false)],
  ["or", logical(true)],
  ["not", { arity: ONE, call: ([a]) => !isTruthy(a) }],
  ["len", { arity: ONE, call: ([a]) => length(a) }],
  ["index", { arity: ONE_OR_MORE, call: ([x, ...keys]) => keys.reduce(indexStep, x) }],
  ["default", { arity: TWO, call: ([d, x]) => (isMissing(x) || x === "" ? d : x) }],
  ["coalesce", { arity: ONE_OR_MORE, call: (args) => args.find((a) => !isMissing(a)) ?? null }],
  ["upper", { arity: ONE, call: (args) => str(args, 0).toUpperCase() }],
  ["lower", { arity: ONE, call: (args) => str(args, 0).toLowerCase() }],
  ["trim", { arity: ONE, call: (args) => str(args, 0).trim() }],
  ["contains", { arity: TWO, call: (args) => str(args, 0).includes(str(args, 1)) }],
  ["hasPrefix", { arity: TWO, call: (args) => str(args, 0).startsWith(str(args, 1)) }],
  ["hasSuffix", { arity: TWO, call: (args) => str(args, 0).endsWith(str(args, 1)) }],
  ["join", { arity: TWO, call: ([list, sep]) => join(list, sep) }],
  ["split", { arity: TWO, call: (args) => split(str(args, 0), str(args, 1)) }],
  ["json", { arity: ONE, call: ([a]) => JSON.stringify(a) ?? "null" }],
  ["printf", { arity: ONE_OR_MORE, call: ([format, ...rest]) => printf(format, rest) }],
  ["toString", { arity: ONE, call: ([a]) => toText(a) }],
  ["toNumber", { arity: ONE, call: ([a]) => toNumber(a) }],
]);

/** Names of the builtin functions, for editors and documentation. */
export const BUILTIN_FUNCTION_NAMES: readonly string[] = [...BUILTINS.keys()];

function join(list: unknown, sep: unknown): string {
  if (!Array.isArray(list)) throw new Error(`argument 1 must be an array, got ${typeName(list)}`);
  if (typeof sep !== "string") {
    throw new Error(`argument 2 must be a string, got ${typeName(sep)}`);
  }
  return Array.from(list, (item) => toText(item)).join(sep);
}

function split(text: string, sep: string): string[] {
  // An empty separator splits into characters; Array.from keeps surrogate pairs together.
  return sep === "" ? Array.from(text) : text.split(sep);
}
