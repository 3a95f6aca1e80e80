import type { Workflow } from "../workflow/model.js";

/** Where a worker finds the definition a run is pinned to. */
export interface WorkflowSource {
  get(name: string, version: string): Promise<Workflow | undefined>;
}

/** A fixed set of workflows (local runs, tests). */
export function staticWorkflows(workflows: readonly Workflow[]): WorkflowSource {
  const byKey = new Map(workflows.map((w) => [`${w.name}@${w.version}`, w]));
  return { get: async (name, version) => byKey.get(`${name}@${version}`) };
}
