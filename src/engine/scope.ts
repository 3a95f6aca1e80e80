/**
 * What templates see while a run executes: `.input`, `.run`, and each finished step's
 * output under its name. Built from the folded state, so it costs the same at every step.
 */
import { type Template, templateReferences, valueReferences } from "../template/index.js";
import type { CallDefinition, ServiceDefinition, Workflow } from "../workflow/model.js";
import type { RunState } from "./state.js";

const rootsCache = new WeakMap<object, ReadonlySet<string>>();

/** The root names a call's templates read (method, input, headers, query), computed once per call. */
export function callRoots(call: CallDefinition, service: ServiceDefinition): ReadonlySet<string> {
  let roots = rootsCache.get(call);
  if (!roots) {
    const templates: Template[] = [
      call.method,
      ...Object.values(call.headers),
      ...Object.values(call.query),
    ];
    templates.push(...Object.values(service.headers));
    const refs = templates.flatMap((t) => templateReferences(t));
    if (call.input) refs.push(...valueReferences(call.input));
    roots = new Set(refs.map((r) => r.path[0] ?? "*"));
    rootsCache.set(call, roots);
  }
  return roots;
}

/** The root names a list of templates reads, computed once per list. */
export function templatesRoots(templates: readonly Template[]): ReadonlySet<string> {
  let roots = rootsCache.get(templates);
  if (!roots) {
    roots = new Set(templates.flatMap((t) => templateReferences(t)).map((r) => r.path[0] ?? "*"));
    rootsCache.set(templates, roots);
  }
  return roots;
}

/**
 * `roots` limits the outputs put in scope to those the templates read, so building the
 * scope costs the same at step 10 and step 1,000. A bare `.` reads everything (`*`).
 */
export function templateScope(
  workflow: Workflow,
  state: RunState,
  roots?: ReadonlySet<string>,
): Record<string, unknown> {
  const scope: Record<string, unknown> = {
    input: state.input,
    run: {
      id: state.runId,
      workflow: state.workflow,
      version: state.version,
      started_at: new Date(state.createdAt).toISOString(),
      correlation_id: state.correlationId,
    },
  };
  const names = roots && !roots.has("*") ? [...roots] : workflow.outputs.keys();
  for (const name of names) {
    const stepId = workflow.outputs.get(name);
    const step = stepId === undefined ? undefined : state.steps[stepId];
    if (step?.status === "succeeded") scope[name] = step.output;
  }
  return scope;
}

/** Picks `data.user` out of a response; a missing field yields null. */
export function selectField(value: unknown, path: readonly string[] | undefined): unknown {
  if (!path) return value;
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key))
      return null;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
