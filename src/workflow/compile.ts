/**
 * Semantic checks and compilation of a shape-checked workflow into the immutable model:
 * services and references exist, ids and outputs are unique, the graph has no cycle,
 * templates parse and only read what is guaranteed to exist when they run.
 */
import { type Template, templateReferences, valueReferences } from "../template/index.js";
import { didYouMean } from "../util/suggest.js";
import { compileConcurrency } from "./compile-concurrency.js";
import { type Context, template, templates, value } from "./compile-templates.js";
import type { Diagnostic, SourceMap, YamlPath } from "./diagnostics.js";
import { findCycle, topologicalOrder, upstreamSets } from "./graph.js";
import { layoutSteps, type PlacedStep } from "./layout.js";
import {
  type CallDefinition,
  RESERVED_ROOTS,
  type ServiceDefinition,
  type StepDefinition,
  type Trigger,
  type Workflow,
} from "./model.js";
import { resolvePath } from "./paths.js";
import {
  compileCircuitBreaker,
  compileRateLimit,
  compileRetry,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_COMPENSATION_ATTEMPTS,
  DEFAULT_RETRY,
  DEFAULT_RUN_TIMEOUT_MS,
  ms,
} from "./policies.js";
import { checkReferences, type Reference } from "./references.js";
import { parseSchedule } from "./schedule.js";
import { type RawCompensate, type RawService, type RawWorkflow, triggerSchema } from "./schema.js";
import { compileSensitive } from "./sensitive-paths.js";
import type { ShapeResult } from "./shape.js";

const HTTP_METHOD = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+\/\S*$/;
/** Template actions may contain spaces; the path around them may not. */
const withoutActions = (text: string) => text.replace(/\{\{.*?\}\}/g, "x");
const GRPC_METHOD =
  /^(?:[A-Za-z_][A-Za-z0-9_]*\.)*[A-Za-z_][A-Za-z0-9_]*(?:[./][A-Za-z_][A-Za-z0-9_]*)?$/;

function compileService(name: string, raw: RawService, ctx: Context): ServiceDefinition {
  const path: YamlPath = ["services", name];
  const breaker = compileCircuitBreaker(raw.circuit_breaker);
  const rateLimit = compileRateLimit(raw.rate_limit);
  return {
    name,
    type: raw.type,
    endpoints: typeof raw.endpoint === "string" ? [raw.endpoint] : raw.endpoint,
    timeoutMs: ms(raw.timeout, DEFAULT_CALL_TIMEOUT_MS),
    retry: compileRetry(raw.retry, DEFAULT_RETRY),
    headers: templates(raw.headers, [...path, "headers"], ctx),
    ...(raw.descriptors !== undefined && {
      descriptors: resolvePath(ctx.baseDir, raw.descriptors),
    }),
    ...(raw.tls && {
      tls: {
        ...(raw.tls.ca !== undefined && { ca: resolvePath(ctx.baseDir, raw.tls.ca) }),
        ...(raw.tls.cert !== undefined && { cert: resolvePath(ctx.baseDir, raw.tls.cert) }),
        ...(raw.tls.key !== undefined && { key: resolvePath(ctx.baseDir, raw.tls.key) }),
        ...(raw.tls.server_name !== undefined && { serverName: raw.tls.server_name }),
      },
    }),
    ...(breaker && { circuitBreaker: breaker }),
    ...(rateLimit && { rateLimit }),
    ...(raw.max_concurrency !== undefined && { maxConcurrency: raw.max_concurrency }),
  };
}

/** Checks the method's form for the service's type and compiles it. */
function method(
  text: string,
  service: ServiceDefinition | undefined,
  path: YamlPath,
  ctx: Context,
) {
  if (service?.type === "http") {
    const match = HTTP_METHOD.exec(withoutActions(text.trim()));
    if (!match) {
      ctx.out.push(
        ctx.source.node(
          path,
          `method: an http service's method is "VERB /path", e.g. "POST /contacts"; got "${text}"`,
        ),
      );
      return undefined;
    }
  } else if (service && !GRPC_METHOD.test(text.trim())) {
    ctx.out.push(
      ctx.source.node(
        path,
        `method: a ${service.type} method is Method, Service.Method or package.Service/Method; got "${text}"`,
      ),
    );
    return undefined;
  }
  return template(text.trim(), path, ctx);
}

function serviceRef(
  name: string | undefined,
  path: YamlPath,
  services: ReadonlyMap<string, ServiceDefinition>,
  ctx: Context,
): ServiceDefinition | undefined {
  if (name === undefined) return undefined;
  const service = services.get(name);
  if (!service && !ctx.invalidServices.has(name)) {
    const known = [...services.keys(), ...ctx.invalidServices];
    ctx.out.push(
      ctx.source.node(
        path,
        `service "${name}" is not defined in services${didYouMean(name, known)}`,
      ),
    );
  }
  return service;
}

function compileCall(
  raw: {
    method: string;
    input?: unknown;
    headers?: Record<string, string>;
    query?: Record<string, string>;
    timeout?: string;
  },
  /** Undefined when the service is unknown (already reported): templates are still checked. */
  service: ServiceDefinition | undefined,
  retry: CallDefinition["retry"],
  path: YamlPath,
  ctx: Context,
): CallDefinition | undefined {
  const compiledMethod = method(raw.method, service, [...path, "method"], ctx);
  const input =
    raw.input === undefined ? undefined : value(raw.input, [...path, "input"], ctx, true);
  if (!compiledMethod || (raw.input !== undefined && !input)) return undefined;
  return {
    service: service?.name ?? "",
    method: compiledMethod,
    ...(input && { input }),
    headers: templates(raw.headers, [...path, "headers"], ctx),
    query: templates(raw.query, [...path, "query"], ctx),
    retry,
    timeoutMs: ms(raw.timeout, service?.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS),
  };
}

function callReferences(call: CallDefinition | undefined, path: YamlPath): Reference[] {
  if (!call) return [];
  const refs: Reference[] = templateReferences(call.method).map((r) => ({
    ...r,
    at: [...path, "method"],
  }));
  if (call.input) {
    for (const r of valueReferences(call.input))
      refs.push({ ...r, at: [...path, "input", ...r.at] });
  }
  for (const [kind, map] of [
    ["headers", call.headers],
    ["query", call.query],
  ] as const) {
    for (const [name, t] of Object.entries(map)) {
      for (const r of templateReferences(t)) refs.push({ ...r, at: [...path, kind, name] });
    }
  }
  return refs;
}

function compileTriggers(raw: RawWorkflow["triggers"], ctx: Context): Trigger[] {
  const triggers: Trigger[] = [];
  (Array.isArray(raw) ? raw : []).forEach((trigger, i) => {
    // Triggers with a bad shape are already reported by the shape check.
    if (!triggerSchema.safeParse(trigger).success) return;
    if ("queue" in trigger) {
      triggers.push({ kind: "queue", queue: trigger.queue });
      return;
    }
    const schedule = parseSchedule(trigger.schedule);
    if ("error" in schedule) {
      ctx.out.push(ctx.source.node(["triggers", i, "schedule"], `schedule: ${schedule.error}`));
      return;
    }
    triggers.push({
      kind: "schedule",
      expression: trigger.schedule,
      ...schedule,
      ...(trigger.input !== undefined && { input: trigger.input }),
    });
  });
  return triggers;
}

/** Builds the model; returns undefined when anything was reported. */
export function compileWorkflow(
  raw: RawWorkflow,
  shape: Pick<ShapeResult, "validSteps" | "invalidServices">,
  file: string,
  source: SourceMap,
  baseDir: string,
): { workflow?: Workflow; diagnostics: Diagnostic[] } {
  const out: Diagnostic[] = [];
  const ctx: Context = { source, out, baseDir, invalidServices: shape.invalidServices };
  const services = new Map<string, ServiceDefinition>();
  for (const [name, service] of Object.entries(raw.services)) {
    services.set(name, compileService(name, service, ctx));
  }

  const placed = layoutSteps(raw.steps as unknown[], shape.validSteps, source, out);
  const deps = new Map(placed.map((p) => [p.raw.id, p.dependsOn]));
  const order = placed.map((p) => p.raw.id);
  const cycle = findCycle(order, deps);
  if (cycle) {
    const first = placed.find((p) => p.raw.id === cycle[0]);
    out.push(
      source.node(
        [...(first?.path ?? ["steps"]), "depends_on"],
        `dependency cycle: ${cycle.join(" → ")}`,
      ),
    );
    return { diagnostics: out };
  }
  const upstream = upstreamSets(order, deps);

  const outputs = new Map<string, string>();
  for (const p of placed) {
    const name = p.raw.output;
    if (name === undefined) continue;
    if (RESERVED_ROOTS.has(name)) {
      out.push(
        source.node([...p.path, "output"], `output: "${name}" is reserved; choose another name`),
      );
    } else if (outputs.has(name)) {
      out.push(
        source.node(
          [...p.path, "output"],
          `output: "${name}" is already the output of step "${outputs.get(name)}"`,
        ),
      );
    } else {
      outputs.set(name, p.raw.id);
    }
  }

  const steps = new Map<string, StepDefinition>();
  for (const p of placed) {
    const step = compileStep(p, services, upstream.get(p.raw.id) ?? new Set(), outputs, ctx);
    if (step) steps.set(step.id, step);
  }

  const output = raw.output === undefined ? undefined : value(raw.output, ["output"], ctx);
  if (output) {
    const refs = valueReferences(output).map((r) => ({ ...r, at: ["output", ...r.at] }));
    checkReferences(
      refs,
      { scope: "workflow output", visible: new Set(outputs.keys()), outputs },
      ctx,
    );
  }
  const triggers = compileTriggers(raw.triggers, ctx);
  const concurrency = compileConcurrency(raw.concurrency, ctx);
  const sensitive = compileSensitive(raw.sensitive, outputs, ctx);

  if (out.length > 0) return { diagnostics: out };
  const dependents = new Map<string, string[]>(order.map((id) => [id, []]));
  for (const p of placed) for (const dep of p.dependsOn) dependents.get(dep)?.push(p.raw.id);
  const sorted = topologicalOrder(order, deps).map((id) => steps.get(id) as StepDefinition);
  const workflow: Workflow = {
    name: raw.name,
    version: raw.version,
    ...(raw.description !== undefined && { description: raw.description }),
    timeoutMs: ms(raw.timeout, DEFAULT_RUN_TIMEOUT_MS),
    ...(raw.input_schema !== undefined && { inputSchema: raw.input_schema }),
    services,
    steps: sorted,
    stepsById: new Map(sorted.map((s) => [s.id, s])),
    dependents,
    outputs,
    ...(output && { output }),
    sensitive,
    triggers,
    ...(concurrency && { concurrency }),
    file,
  };
  return { workflow, diagnostics: out };
}

function compileStep(
  p: PlacedStep,
  services: ReadonlyMap<string, ServiceDefinition>,
  upstream: ReadonlySet<string>,
  outputs: ReadonlyMap<string, string>,
  ctx: Context,
): StepDefinition | undefined {
  const { raw, path } = p;
  const before = ctx.out.length;
  const visibleOutputs = new Set(
    [...outputs].filter(([, id]) => upstream.has(id)).map(([name]) => name),
  );

  let call: CallDefinition | undefined;
  if (raw.wait_for !== undefined) {
    for (const field of ["service", "method", "input", "compensate", "sleep"] as const) {
      if (raw[field] !== undefined) {
        ctx.out.push(
          ctx.source.key(
            [...path, field],
            `${field}: a signal step calls nothing; remove ${field} or wait_for`,
          ),
        );
      }
    }
  } else if (raw.sleep !== undefined) {
    for (const field of ["service", "method", "input", "compensate", "output"] as const) {
      if (raw[field] !== undefined) {
        ctx.out.push(
          ctx.source.key(
            [...path, field],
            `${field}: a sleep step calls nothing; remove ${field} or sleep`,
          ),
        );
      }
    }
  } else {
    if (raw.service === undefined)
      ctx.out.push(ctx.source.node(path, `step "${raw.id}": missing service`));
    if (raw.method === undefined)
      ctx.out.push(ctx.source.node(path, `step "${raw.id}": missing method`));
    const service = serviceRef(raw.service, [...path, "service"], services, ctx);
    if (raw.method !== undefined) {
      const retry = compileRetry(raw.retry, service?.retry ?? DEFAULT_RETRY);
      call = compileCall({ ...raw, method: raw.method }, service, retry, path, ctx);
    }
  }

  const when: Template[] = [];
  const whenRefs: Reference[] = [];
  for (const [text, at] of [
    [p.group?.when, p.group ? [...p.group.path, "when"] : []],
    [raw.when, [...path, "when"]],
  ] as const) {
    if (text === undefined) continue;
    const t = template(text, at, ctx);
    if (!t) continue;
    when.push(t);
    for (const r of templateReferences(t)) whenRefs.push({ ...r, at });
  }

  const stepRefs = [...callReferences(call, path), ...whenRefs];
  checkReferences(stepRefs, { scope: `step "${raw.id}"`, visible: visibleOutputs, outputs }, ctx);
  const needs = [
    ...new Set(
      stepRefs.flatMap((r) => {
        const producer = r.path[0] === undefined ? undefined : outputs.get(r.path[0]);
        return producer && upstream.has(producer) ? [producer] : [];
      }),
    ),
  ];

  const compensate = raw.compensate
    ? compileCompensation(raw.compensate, raw, call, services, [...path, "compensate"], ctx)
    : undefined;
  if (compensate) {
    const ownOutput = raw.output === undefined ? [] : [raw.output];
    checkReferences(
      callReferences(compensate, [...path, "compensate"]),
      {
        scope: `compensation of step "${raw.id}"`,
        visible: new Set([...visibleOutputs, ...ownOutput]),
        outputs,
      },
      ctx,
    );
  }

  if (ctx.out.length > before) return undefined;
  return {
    id: raw.id,
    ...(call && { call }),
    ...(raw.sleep !== undefined && { sleepMs: ms(raw.sleep, 0) }),
    ...(raw.wait_for !== undefined && {
      waitFor: {
        signal: raw.wait_for.signal,
        ...(raw.wait_for.timeout !== undefined && { timeoutMs: ms(raw.wait_for.timeout, 0) }),
      },
    }),
    ...(raw.output !== undefined && { output: raw.output }),
    ...(raw.select !== undefined && { select: raw.select.split(".") }),
    dependsOn: p.dependsOn,
    upstream,
    when,
    needs,
    ...(compensate && { compensate }),
    // An unnamed parallel group is named after its position, for graphs and timelines.
    ...(p.group && { group: p.group.id ?? `parallel_${String(p.group.path[1])}` }),
  };
}

function compileCompensation(
  raw: RawCompensate,
  step: { service?: string | undefined },
  call: CallDefinition | undefined,
  services: ReadonlyMap<string, ServiceDefinition>,
  path: YamlPath,
  ctx: Context,
): CallDefinition | undefined {
  const service = serviceRef(raw.service ?? step.service, [...path, "service"], services, ctx);
  const base = call?.retry ?? service?.retry ?? DEFAULT_RETRY;
  const retry = compileRetry(raw.retry, { ...base, maxAttempts: DEFAULT_COMPENSATION_ATTEMPTS });
  return compileCall(raw, service, retry, path, ctx);
}
