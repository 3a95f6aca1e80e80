/**
 * Resolves a step's (or a compensation's) call against the run: method, input, headers
 * and query evaluated from the templates, and the idempotency key. Values placed in an
 * HTTP path are percent-encoded so an output can never change the path's shape.
 */
import { type ErrorInfo, MaestroError } from "../errors.js";
import { evaluateTemplate, evaluateValue, type Template } from "../template/index.js";
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

function asText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function strings(
  map: Readonly<Record<string, Template>>,
  scope: Record<string, unknown>,
  into: Record<string, string>,
) {
  for (const [name, t] of Object.entries(map)) into[name] = asText(evaluateTemplate(t, scope));
}

export function idempotencyKey(runId: string, command: Pick<Command, "kind" | "stepId">): string {
  return command.kind === "compensate"
    ? `${runId}/${command.stepId}/compensate`
    : `${runId}/${command.stepId}`;
}

/** Prepares the call a command makes, or says why it cannot be made (a terminal error). */
export function prepareCall(
  workflow: Workflow,
  state: RunState,
  command: Command,
): { ok: true; call: PreparedCall } | { ok: false; error: ErrorInfo } {
  const step = workflow.stepsById.get(command.stepId);
  const def: CallDefinition | undefined =
    command.kind === "compensate" ? step?.compensate : step?.call;
  const service = def && workflow.services.get(def.service);
  if (!def || !service) {
    return {
      ok: false,
      error: new MaestroError("internal", `step "${command.stepId}" has no call`).toInfo(),
    };
  }
  const scope = templateScope(workflow, state, callRoots(def, service));
  try {
    const method = evaluateTemplate(def.method, scope, {
      ...(service.type === "http" && { escape: encodeURIComponent }),
    });
    const headers: Record<string, string> = {};
    strings(service.headers, scope, headers);
    strings(def.headers, scope, headers);
    const query: Record<string, string> = {};
    strings(def.query, scope, query);
    return {
      ok: true,
      call: {
        service,
        method: asText(method),
        input: def.input ? evaluateValue(def.input, scope) : undefined,
        headers,
        query,
        timeoutMs: def.timeoutMs,
        idempotencyKey: idempotencyKey(state.runId, command),
      },
    };
  } catch (error) {
    const where = command.kind === "compensate" ? "compensate" : "step";
    return {
      ok: false,
      error: new MaestroError(
        "template_error",
        `${where} "${command.stepId}": ${(error as Error).message}`,
        {
          retryable: false,
        },
      ).toInfo(),
    };
  }
}
