/**
 * Checks the shape of a parsed workflow against the schema and turns zod's issues into
 * positioned diagnostics. Steps and triggers are checked one by one against the variant
 * they look like, so one bad step does not hide the others and messages stay specific.
 */
import * as z from "zod/mini";
import { didYouMean } from "../util/suggest.js";
import type { Diagnostic, SourceMap, YamlPath } from "./diagnostics.js";
import {
  parallelGroupSchema,
  serviceSchema,
  stepSchema,
  triggerSchema,
  workflowSchema,
} from "./schema.js";

type Schema = z.ZodMiniType;

export function formatPath(path: YamlPath): string {
  let out = "";
  for (const segment of path) {
    out += typeof segment === "number" ? `[${segment}]` : out === "" ? segment : `.${segment}`;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string")
    return `the string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** Allowed keys of a strict object schema at a path, for did-you-mean on unknown fields. */
function knownKeys(schema: Schema | undefined): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function schemaAt(schema: Schema, path: readonly PropertyKey[]): Schema | undefined {
  let current: unknown = schema;
  for (const segment of path) {
    const def = (current as { def?: Record<string, unknown> } | undefined)?.def;
    if (!def) return undefined;
    if (def.type === "optional" || def.type === "default") {
      current = def.innerType;
      const inner = (current as { def?: Record<string, unknown> }).def;
      if (!inner) return undefined;
      return schemaAt(current as Schema, path);
    }
    if (def.type === "object") current = (def.shape as Record<string, unknown>)[segment as string];
    else if (def.type === "array") current = def.element;
    else if (def.type === "record") current = def.valueType;
    else return undefined;
  }
  while ((current as { def?: { type?: string } } | undefined)?.def?.type === "optional") {
    current = (current as { def: { innerType: unknown } }).def.innerType;
  }
  return current as Schema | undefined;
}

/**
 * A step with a bad optional field (say a misspelt retry setting) is still checked for
 * everything else: the faulty top-level fields are dropped and the rest re-validated.
 * Returns the usable remainder, or undefined when the step's identity itself is broken.
 */
function repair(schema: Schema, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return value;
  const faulty = new Set<string>();
  for (const issue of result.error.issues) {
    const [first] = issue.path;
    if (typeof first === "string") faulty.add(first);
    else if (issue.code === "unrecognized_keys" && issue.path.length === 0)
      for (const k of issue.keys) faulty.add(k);
    else return undefined;
  }
  if (faulty.has("id") || faulty.has("parallel")) return undefined;
  const rest = Object.fromEntries(Object.entries(value).filter(([k]) => !faulty.has(k)));
  // A step with a bad sleep is still a sleep step, not one missing its service and method.
  if (faulty.has("sleep")) rest.sleep = "0ms";
  return schema.safeParse(rest).success ? rest : undefined;
}

function check(
  schema: Schema,
  value: unknown,
  base: YamlPath,
  source: SourceMap,
  out: Diagnostic[],
): boolean {
  const result = schema.safeParse(value);
  if (result.success) return true;
  for (const issue of result.error.issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    const where = formatPath(path);
    if (issue.code === "unrecognized_keys") {
      const allowed = knownKeys(schemaAt(schema, issue.path));
      for (const key of issue.keys) {
        const place = formatPath([...path, key]);
        out.push(source.node(path, `${place}: unknown field${didYouMean(key, allowed)}`, { key }));
      }
      continue;
    }
    const actual = valueAt(value, issue.path);
    if (issue.code === "invalid_type" && actual === undefined) {
      out.push(source.node(path.slice(0, -1), `${where}: missing required field`));
      continue;
    }
    if (issue.code === "invalid_type") {
      // `version: 1.0` reads as the number 1: show it as written and how to keep it a string.
      const written =
        typeof actual === "number" || typeof actual === "boolean"
          ? source.written(path)
          : undefined;
      const got = written === undefined ? describe(actual) : `${typeof actual} ${written}`;
      // Suggest quotes only where the quoted text would be accepted.
      const quoted =
        written !== undefined && schemaAt(schema, issue.path)?.safeParse(written).success;
      const hint = quoted ? ` (quote it: "${written}")` : "";
      out.push(source.node(path, `${where}: expected ${issue.expected}, got ${got}${hint}`));
      continue;
    }
    if (issue.code === "invalid_value" && typeof actual === "string") {
      const options = issue.values.map(String);
      out.push(
        source.node(
          path,
          `${where}: must be one of ${options.join(", ")}${didYouMean(actual, options)}`,
        ),
      );
      continue;
    }
    out.push(source.node(path, `${where}: ${issue.message}`));
  }
  return false;
}

/** The top level without the collections that are checked item by item. */
const topLevel = z.omit(workflowSchema, { steps: true, triggers: true, services: true });
const serviceName = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ShapeResult {
  /** Everything has the right shape. */
  readonly ok: boolean;
  /** The top-level fields (name, version, timeout, …) have the right shape. */
  readonly topOk: boolean;
  /**
   * Steps (by index in `steps`) usable by the semantic checks: valid ones as written, and
   * ones whose only faults were optional fields, without those fields.
   */
  readonly validSteps: ReadonlyMap<number, unknown>;
  readonly validServices: ReadonlySet<string>;
  /** Named services with shape errors: references to them are not reported again. */
  readonly invalidServices: ReadonlySet<string>;
}

/**
 * Returns the indices of steps (and triggers) that have a valid shape, so the semantic
 * checks can go on with those; every shape problem is pushed to `out`.
 */
export function checkShape(raw: unknown, source: SourceMap, out: Diagnostic[]): ShapeResult {
  const validSteps = new Map<number, unknown>();
  const validServices = new Set<string>();
  const invalidServices = new Set<string>();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    out.push(
      source.node(
        [],
        `a workflow must be a mapping with name, version, services and steps; got ${describe(raw)}`,
      ),
    );
    return { ok: false, topOk: false, validSteps, validServices, invalidServices };
  }
  const doc = raw as Record<string, unknown>;
  const { steps, triggers, services, ...rest } = doc;
  const topOk = check(topLevel, rest, [], source, out);
  let ok = topOk;

  if (
    services !== undefined &&
    (services === null || typeof services !== "object" || Array.isArray(services))
  ) {
    out.push(
      source.node(
        ["services"],
        `services: expected a mapping of name → service, got ${describe(services)}`,
      ),
    );
    ok = false;
  } else {
    for (const [name, service] of Object.entries((services ?? {}) as Record<string, unknown>)) {
      let valid = true;
      if (!serviceName.test(name)) {
        out.push(
          source.node(
            ["services"],
            `services.${name}: a service name must start with a letter or _ and contain only letters, digits and _`,
            { key: name },
          ),
        );
        valid = false;
      }
      if (!check(serviceSchema, service, ["services", name], source, out)) valid = false;
      (valid ? validServices : invalidServices).add(name);
      if (!valid) ok = false;
    }
  }

  if (steps === undefined) {
    out.push(source.node([], "steps: missing required field"));
    ok = false;
  } else if (!Array.isArray(steps) || steps.length === 0) {
    out.push(
      source.node(["steps"], `steps: expected a non-empty list of steps, got ${describe(steps)}`),
    );
    ok = false;
  } else {
    steps.forEach((step, i) => {
      const isGroup = step !== null && typeof step === "object" && "parallel" in step;
      const schema = isGroup ? parallelGroupSchema : stepSchema;
      if (!check(schema, step, ["steps", i], source, out)) ok = false;
      const usable = repair(schema, step);
      if (usable !== undefined) validSteps.set(i, usable);
    });
  }

  if (triggers !== undefined) {
    if (!Array.isArray(triggers)) {
      out.push(source.node(["triggers"], `triggers: expected a list, got ${describe(triggers)}`));
      ok = false;
    } else {
      triggers.forEach((trigger, i) => {
        const variant =
          trigger !== null && typeof trigger === "object" && "queue" in trigger
            ? triggerSchema.def.options[1]
            : triggerSchema.def.options[0];
        if (!check(variant, trigger, ["triggers", i], source, out)) ok = false;
      });
    }
  }
  return { ok, topOk, validSteps, validServices, invalidServices };
}
