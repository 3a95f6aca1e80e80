/**
 * Resolves a step's (or a compensation's) call against the run: method, input, headers
 * and query evaluated from the templates, and the idempotency key. Values placed in an
 * HTTP path are percent-encoded so an output can never change the path's shape.
 */
import { type ErrorInfo, MaestroError } from "../errors.js";
import {
  type EvalOptions,
  evaluateTemplate,
  evaluateValue,
  type Template,
  templateCalls,
  valueCalls,
} from "../template/index.js";
import type { CallDefinition, ServiceDefinition, Workflow } from "../workflow/model.js";
import type { Command } from "./commands.js";
import { callRoots, templateScope } from "./scope.js";
import type { RunState } from "./state.js";

export interface PreparedCall {
  readonly service: ServiceDefinition;
  readonly method: string;
  readonly input: unknown;
  readonly headers: Record<string, string>;
  readonly query: Record<string, string>;
  readonly timeoutMs: number;
  readonly idempotencyKey: string;
}

type Functions = NonNullable<EvalOptions["functions"]>;

function asText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function strings(
  map: Readonly<Record<string, Template>>,
  scope: Record<string, unknown>,
  into: Record<string, string>,
  functions: Functions,
) {
  for (const [name, t] of Object.entries(map)) {
    into[name] = asText(evaluateTemplate(t, scope, { functions }));
  }
}

export function idempotencyKey(runId: string, command: Pick<Command, "kind" | "stepId">): string {
  return command.kind === "compensate"
    ? `${runId}/${command.stepId}/compensate`
    : `${runId}/${command.stepId}`;
}

/** The call definition a command runs, with its service. */
export function callOf(
  workflow: Workflow,
  command: Pick<Command, "kind" | "stepId">,
): { def: CallDefinition; service: ServiceDefinition } | undefined {
  const step = workflow.stepsById.get(command.stepId);
  const def = command.kind === "compensate" ? step?.compensate : step?.call;
  const service = def && workflow.services.get(def.service);
  return def && service ? { def, service } : undefined;
}

const namesCache = new WeakMap<object, readonly string[]>();

/** The secrets a call's templates name (always literal names: validation guarantees it). */
export function secretNames(call: CallDefinition, service: ServiceDefinition): readonly string[] {
  let names = namesCache.get(call);
  if (!names) {
    const templates = [
      ...Object.values(service.headers),
      ...Object.values(call.headers),
      ...Object.values(call.query),
    ];
    const calls = templates.flatMap((t) => templateCalls(t));
    if (call.input) calls.push(...valueCalls(call.input));
    names = [...new Set(calls.filter((c) => c.name === "secret").map((c) => String(c.args[0])))];
    namesCache.set(call, names);
  }
  return names;
}

/**
 * Prepares the call a command makes, or says why it cannot be made (a terminal error).
 * `secrets` holds the values of the secrets the call names, resolved by the caller.
 */
export function prepareCall(
  workflow: Workflow,
  state: RunState,
  command: Command,
  secrets: Readonly<Record<string, string>> = {},
): { ok: true; call: PreparedCall } | { ok: false; error: ErrorInfo } {
  const found = callOf(workflow, command);
  if (!found) {
    const error = new MaestroError("internal", `step "${command.stepId}" has no call`);
    return { ok: false, error: error.toInfo() };
  }
  const { def, service } = found;
  const scope = templateScope(workflow, state, callRoots(def, service));
  const functions: Functions = {
    secret: (name) => {
      const value = secrets[String(name)];
      if (value === undefined) throw new Error(`secret "${String(name)}" was not resolved`);
      return value;
    },
  };
  try {
    const method = evaluateTemplate(def.method, scope, {
      ...(service.type === "http" && { escape: encodeURIComponent }),
    });
    const headers: Record<string, string> = {};
    strings(service.headers, scope, headers, functions);
    strings(def.headers, scope, headers, functions);
    const query: Record<string, string> = {};
    strings(def.query, scope, query, functions);
    return {
      ok: true,
      call: {
        service,
        method: asText(method),
        input: def.input ? evaluateValue(def.input, scope, { functions }) : undefined,
        headers,
        query,
        timeoutMs: def.timeoutMs,
        idempotencyKey: idempotencyKey(state.runId, command),
      },
    };
  } catch (error) {
    const where = command.kind === "compensate" ? "compensate" : "step";
    const message = `${where} "${command.stepId}": ${(error as Error).message}`;
    return {
      ok: false,
      error: new MaestroError("template_error", message, { retryable: false }).toInfo(),
    };
  }
}
