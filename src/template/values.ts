/**
 * How templates see values. Templates only ever reach data, never behaviour: fields are read
 * from own enumerable data properties of plain objects, so `.constructor`, `.__proto__` and
 * getters are invisible rather than exploitable.
 */

/** Longest string a template may produce, in UTF-16 code units. */
export const MAX_STRING_LENGTH = 1024 * 1024;

/**
 * A failure whose message is already complete. Function failures of any other class get
 * the function's name prefixed by the evaluator.
 */
export class EvalFailure extends Error {
  override readonly name = "EvalFailure";
}

export function isMissing(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/** Objects built from JSON/YAML; class instances (Date, Map, ...) are opaque to templates. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Type names used in error messages; JSON's vocabulary, with undefined shown as null. */
export function typeName(value: unknown): string {
  if (isMissing(value)) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * An own, enumerable data property, or undefined. Reading the descriptor instead of
 * `object[key]` means inherited members and accessors never run or leak.
 */
export function ownValue(object: object, key: string | number): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  if (descriptor === undefined || !descriptor.enumerable || !("value" in descriptor)) {
    return undefined;
  }
  return descriptor.value;
}

/** Reads `.name` of a value; `where` is the chain read so far, for the error message. */
export function readField(value: unknown, name: string, where: string): unknown {
  if (isMissing(value)) return undefined;
  if (isPlainObject(value)) return ownValue(value, name);
  let what: string;
  if (Array.isArray(value)) what = "an array, not an object (use index to read elements)";
  else if (typeof value === "object") what = "not a plain object";
  else what = `${/^[aeiou]/.test(typeName(value)) ? "an" : "a"} ${typeName(value)}, not an object`;
  throw new EvalFailure(`cannot read field "${name}" of ${where}: it is ${what}`);
}

/** Go's notion of emptiness: false, 0, "", nil and empty collections are false. */
export function isTruthy(value: unknown): boolean {
  if (isMissing(value)) return false;
  switch (typeof value) {
    case "boolean":
      return value;
    case "number":
      return value !== 0 && !Number.isNaN(value);
    case "string":
      return value.length > 0;
    case "bigint":
      return value !== 0n;
    default:
      if (Array.isArray(value)) return value.length > 0;
      if (isPlainObject(value)) return Object.keys(value).length > 0;
      return true;
  }
}

/** Structural equality of JSON values; a missing value equals null. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (isMissing(a) || isMissing(b)) return isMissing(a) && isMissing(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!deepEqual(ownValue(a, i), ownValue(b, i))) return false;
    }
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every(
      (key) => Object.hasOwn(b, key) && deepEqual(ownValue(a, key), ownValue(b, key)),
    );
  }
  return a === b;
}

/**
 * The text of a value interpolated into a string: strings as they are, null as nothing,
 * collections as JSON so they survive a round trip.
 */
export function toText(value: unknown): string {
  if (isMissing(value)) return "";
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    default:
      return JSON.stringify(value) ?? "";
  }
}

export const TOO_LONG = `result is longer than ${MAX_STRING_LENGTH} characters (1 MiB)`;
