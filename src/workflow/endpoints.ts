/**
 * Endpoint overrides, so a workflow written for deployed hostnames runs locally unchanged:
 * `--endpoint crm_service=http://127.0.0.1:8081`, `MAESTRO_ENDPOINTS="a=url,b=url"`, or a
 * JSON file `{ "crm_service": "http://127.0.0.1:8081" }`.
 */
import { didYouMean } from "../util/suggest.js";
import type { Workflow } from "./model.js";

export type EndpointOverrides = ReadonlyMap<string, readonly string[]>;

/** Parses `name=endpoint` pairs; throws an Error naming the bad pair. */
export function parseEndpointPairs(pairs: readonly string[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const name = pair.slice(0, at).trim();
    const endpoint = pair.slice(at + 1).trim();
    if (at <= 0 || endpoint === "")
      throw new Error(`endpoint override "${pair}" is not name=endpoint`);
    result.set(name, [...(result.get(name) ?? []), endpoint]);
  }
  return result;
}

export function parseEndpointFile(text: string, file: string): Map<string, string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${file}: expected an object of service name → endpoint`);
  }
  const result = new Map<string, string[]>();
  for (const [name, value] of Object.entries(parsed)) {
    const list = typeof value === "string" ? [value] : value;
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === "string")) {
      throw new Error(`${file}: "${name}" must be an endpoint string or a list of them`);
    }
    result.set(name, list);
  }
  return result;
}

/** A copy of the workflow with the named services' endpoints replaced. */
export function withEndpoints(workflow: Workflow, overrides: EndpointOverrides): Workflow {
  if (overrides.size === 0) return workflow;
  const services = new Map(workflow.services);
  for (const [name, endpoints] of overrides) {
    const service = services.get(name);
    if (!service) {
      throw new Error(
        `endpoint override for unknown service "${name}"${didYouMean(name, services.keys())}`,
      );
    }
    services.set(name, { ...service, endpoints });
  }
  return { ...workflow, services };
}
