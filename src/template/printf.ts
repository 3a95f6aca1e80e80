/**
 * A deliberately small `printf`: %s %d %v %q %f (with an optional precision, `%.2f`) and
 * %%. Unlike Go, a mismatch between verbs and arguments is an error rather than `%!d(...)`
 * noise inside a request body.
 */
import { quoteSource } from "./errors.js";
import { MAX_STRING_LENGTH, TOO_LONG, toText, typeName } from "./values.js";

const PRECISION = /^\.(\d{1,2})f/;

export function printf(format: unknown, args: readonly unknown[]): string {
  if (typeof format !== "string") {
    throw new Error(`the format must be a string, got ${typeName(format)}`);
  }
  const parts: string[] = [];
  let length = 0;
  let used = 0;
  const push = (part: string): void => {
    length += part.length;
    if (length > MAX_STRING_LENGTH) throw new Error(TOO_LONG);
    parts.push(part);
  };
  const nextArg = (): unknown => {
    if (used >= args.length) {
      throw new Error(`the format needs more than the ${args.length} argument(s) given`);
    }
    return args[used++];
  };

  let pos = 0;
  for (;;) {
    const percent = format.indexOf("%", pos);
    if (percent === -1) break;
    push(format.slice(pos, percent));
    const rest = format.slice(percent + 1, percent + 5);
    const precision = PRECISION.exec(rest);
    if (precision) {
      push(formatFloat(nextArg(), Number(precision[1])));
      pos = percent + 1 + precision[0].length;
      continue;
    }
    const verb = rest[0];
    if (verb === undefined) throw new Error('the format ends with a lone "%"');
    push(formatVerb(verb, verb === "%" ? undefined : nextArg()));
    pos = percent + 2;
  }
  push(format.slice(pos));
  if (used < args.length) {
    throw new Error(`${args.length} argument(s) given but the format uses ${used}`);
  }
  return parts.join("");
}

function formatVerb(verb: string, arg: unknown): string {
  switch (verb) {
    case "%":
      return "%";
    case "s":
    case "v":
      return toText(arg);
    case "q":
      return JSON.stringify(toText(arg));
    case "d":
      return formatInteger(arg);
    case "f":
      return formatFloat(arg, 6);
    default:
      throw new Error(`unsupported verb ${quoteSource(`%${verb}`)} (supported: %s %d %v %q %f %%)`);
  }
}

function formatInteger(arg: unknown): string {
  if (typeof arg !== "number" || !Number.isInteger(arg)) {
    const shown = typeof arg === "number" ? String(arg) : typeName(arg);
    throw new Error(`%d needs an integer, got ${shown}`);
  }
  // String(1e21) is "1e+21"; BigInt spells large integers out in full, as Go does.
  return Math.abs(arg) < 1e21 ? String(arg === 0 ? 0 : arg) : BigInt(arg).toString();
}

function formatFloat(arg: unknown, digits: number): string {
  if (typeof arg !== "number") throw new Error(`%f needs a number, got ${typeName(arg)}`);
  return arg.toFixed(digits);
}
