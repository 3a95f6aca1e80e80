/**
 * Finds the RPC a step names, in descriptors loaded from a file or by reflection. Pure, so
 * `maestro validate` can check a workflow's methods and inputs before anything runs.
 *
 * A step may write `CreateUser` (unique among the services), `AuthService.CreateUser` or
 * `AuthService/CreateUser`, or the full `auth.v1.AuthService/CreateUser` (a leading `/` is
 * fine). Bare method names never match the gRPC infrastructure services (reflection,
 * health), so a service's own `Check` is not ambiguous with `grpc.health.v1.Health/Check`.
 */
import type { DescMessage, DescMethod, DescService, Registry } from "@bufbuild/protobuf";
import { closest, didYouMean } from "../../util/suggest.js";

export type MethodResolution =
  | { readonly ok: true; readonly method: DescMethod }
  | {
      readonly ok: false;
      /** `invalid_argument` for a malformed or ambiguous name, `unimplemented` for none. */
      readonly code: "invalid_argument" | "unimplemented";
      readonly message: string;
      /** Full names (`pkg.Service/Method`) of the matching or nearby methods. */
      readonly candidates: readonly string[];
    };

/** A problem with a step's method or input, found from descriptors. */
export type InputProblem =
  | {
      readonly kind: "method";
      readonly code: "invalid_argument" | "unimplemented";
      readonly message: string;
      readonly candidates: readonly string[];
    }
  | {
      readonly kind: "field";
      readonly field: string;
      readonly message: string;
      /** The field the key most likely meant. */
      readonly suggestion?: string;
    };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const QUALIFIED = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** Candidates listed in a message before it says "and N more". */
const LIST_LIMIT = 12;

const servicesByRegistry = new WeakMap<Registry, readonly DescService[]>();

function servicesOf(registry: Registry): readonly DescService[] {
  let services = servicesByRegistry.get(registry);
  if (services === undefined) {
    services = [...registry].filter((desc): desc is DescService => desc.kind === "service");
    servicesByRegistry.set(registry, services);
  }
  return services;
}

function isInfrastructure(service: DescService): boolean {
  return (
    service.typeName.startsWith("grpc.reflection.") || service.typeName.startsWith("grpc.health.")
  );
}

/** `auth.v1.AuthService/CreateUser`. */
export function fullMethodName(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, LIST_LIMIT).join(", ");
  return names.length > LIST_LIMIT ? `${shown} and ${names.length - LIST_LIMIT} more` : shown;
}

function problem(
  code: "invalid_argument" | "unimplemented",
  message: string,
  candidates: readonly string[] = [],
): MethodResolution {
  return { ok: false, code, message, candidates };
}

/** Splits a method reference into its service part (if any) and the method's name. */
function parse(reference: string): { service?: string; method: string } | undefined {
  const text = reference.trim().replace(/^\//, "");
  const slash = text.lastIndexOf("/");
  const split = slash >= 0 ? slash : text.lastIndexOf(".");
  const service = split >= 0 ? text.slice(0, split) : undefined;
  const method = split >= 0 ? text.slice(split + 1) : text;
  if (!IDENTIFIER.test(method)) return undefined;
  if (service !== undefined && !QUALIFIED.test(service)) return undefined;
  return service === undefined ? { method } : { service, method };
}

/** Resolves a step's `method` against the registry's services. */
export function resolveMethod(registry: Registry, reference: string): MethodResolution {
  const parsed = parse(reference);
  if (parsed === undefined) {
    return problem(
      "invalid_argument",
      `method "${reference}" is not Method, Service.Method or package.Service/Method`,
    );
  }
  const all = servicesOf(registry);
  if (all.length === 0) return problem("unimplemented", "the descriptors define no services");

  const wanted = parsed.service;
  const scope =
    wanted === undefined
      ? all.filter((s) => !isInfrastructure(s))
      : all.filter((s) => s.typeName === wanted || s.typeName.endsWith(`.${wanted}`));
  if (scope.length === 0) {
    const names = all.map((s) => s.typeName);
    const hint = didYouMean(wanted ?? "", [...names, ...all.map((s) => s.name)]);
    return problem(
      "unimplemented",
      `no service "${wanted}"${hint}; the services are ${list(names)}`,
      names,
    );
  }

  const matches = scope.flatMap((s) => s.methods.filter((m) => m.name === parsed.method));
  const [first, second] = matches;
  if (first !== undefined && second === undefined) return { ok: true, method: first };
  if (first !== undefined) {
    const names = matches.map(fullMethodName);
    return problem(
      "invalid_argument",
      `method "${reference}" is ambiguous: ${list(names)}; write one of them in full`,
      names,
    );
  }

  const methods = scope.flatMap((s) => s.methods);
  const near = closest(
    parsed.method,
    methods.map((m) => m.name),
  );
  const where = wanted === undefined ? "any service" : scope.map((s) => s.typeName).join(" or ");
  const names = methods.map(fullMethodName);
  return problem(
    "unimplemented",
    `no method "${parsed.method}" in ${where}${near === undefined ? "" : ` (did you mean "${near}"?)`}; the methods are ${list(names)}`,
    near === undefined ? names : methods.filter((m) => m.name === near).map(fullMethodName),
  );
}

/**
 * The keys of a JSON input that name no field of the message (fields may be written by their
 * proto name, `user_id`, or JSON name, `userId`), each with a did-you-mean suggestion.
 */
export function unknownFields(
  message: DescMessage,
  keys: Iterable<string>,
): Extract<InputProblem, { kind: "field" }>[] {
  const known = new Set(message.fields.flatMap((f) => [f.name, f.jsonName]));
  const problems: Extract<InputProblem, { kind: "field" }>[] = [];
  for (const key of keys) {
    if (known.has(key)) continue;
    const suggestion = closest(key, known);
    problems.push({
      kind: "field",
      field: key,
      message: `unknown field "${key}" in ${message.typeName}${suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`}`,
      ...(suggestion !== undefined && { suggestion }),
    });
  }
  return problems;
}

/**
 * Checks a step's method and the top-level keys of its input against the descriptors. Returns
 * no problems when both are fine.
 *
 * @example
 * validateInput(registry, "CreateUser", ["emial", "password"]);
 * // → [{ kind: "field", field: "emial", suggestion: "email", message: … }]
 */
export function validateInput(
  registry: Registry,
  method: string | DescMethod,
  inputKeys: Iterable<string>,
): InputProblem[] {
  let desc: DescMethod;
  if (typeof method === "string") {
    const resolved = resolveMethod(registry, method);
    if (!resolved.ok) {
      const { code, message, candidates } = resolved;
      return [{ kind: "method", code, message, candidates }];
    }
    desc = resolved.method;
  } else {
    desc = method;
  }
  return unknownFields(desc.input, inputKeys);
}
