/**
 * Checks a workflow against its services, beyond what the YAML alone can tell: gRPC
 * methods and input fields against descriptor sets (always, when a service names one),
 * and with `--check-endpoints`, that every endpoint answers (gRPC health protocol, or any
 * HTTP response) and, for gRPC services without descriptors, the methods via reflection.
 */
import type { FileRegistry } from "@bufbuild/protobuf";
import { type ConnectCaller, loadDescriptorSet, validateInput } from "../callers/connect-caller.js";
import type { Diagnostic } from "../workflow/diagnostics.js";
import type { Locator } from "../workflow/locate.js";
import type { CallDefinition, ServiceDefinition, Workflow } from "../workflow/model.js";

function inputKeys(call: CallDefinition): string[] {
  const source = (call.input as { source?: unknown } | undefined)?.source;
  return source !== null && typeof source === "object" && !Array.isArray(source)
    ? Object.keys(source)
    : [];
}

function checkCalls(
  workflow: Workflow,
  service: ServiceDefinition,
  registry: FileRegistry,
  where: Locator,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const step of workflow.steps) {
    for (const [field, call] of [
      [[], step.call],
      [["compensate"], step.compensate],
    ] as const) {
      if (!call || call.service !== service.name) continue;
      for (const problem of validateInput(registry, call.method.source, inputKeys(call))) {
        out.push(
          problem.kind === "method"
            ? where.step(step.id, [...field, "method"], `method: ${problem.message}`)
            : where.step(step.id, [...field, "input"], `input: ${problem.message}`, problem.field),
        );
      }
    }
  }
  return out;
}

async function checkEndpoint(service: ServiceDefinition, connect: ConnectCaller, where: Locator) {
  const out: Diagnostic[] = [];
  if (service.type === "http") {
    for (const endpoint of service.endpoints) {
      try {
        // Any HTTP answer, even 404, means something is listening.
        await fetch(endpoint, { method: "HEAD", signal: AbortSignal.timeout(service.timeoutMs) });
      } catch (error) {
        const reason =
          (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        out.push(
          where.service(
            service.name,
            "endpoint",
            `endpoint ${endpoint} does not answer: ${reason}`,
          ),
        );
      }
    }
    return out;
  }
  for (const health of await connect.checkHealth(service)) {
    if (!health.ok) {
      const why = health.error?.message ?? health.status;
      out.push(
        where.service(
          service.name,
          "endpoint",
          `endpoint ${health.endpoint} is not serving: ${why}`,
        ),
      );
    }
  }
  return out;
}

export async function checkServices(
  workflow: Workflow,
  where: Locator,
  options: { endpoints: boolean; connect: ConnectCaller },
): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const service of workflow.services.values()) {
    if (options.endpoints) out.push(...(await checkEndpoint(service, options.connect, where)));
    if (service.type === "http") continue;
    let registry: FileRegistry | undefined;
    try {
      if (service.descriptors !== undefined)
        registry = await loadDescriptorSet(service.descriptors);
      else if (options.endpoints) registry = await options.connect.loadRegistry(service);
    } catch (error) {
      out.push(
        where.service(
          service.name,
          service.descriptors ? "descriptors" : "endpoint",
          (error as Error).message,
        ),
      );
    }
    if (registry) out.push(...checkCalls(workflow, service, registry, where));
  }
  return out;
}
