import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { formatDiagnostic } from "../workflow/diagnostics.js";
import { loadWorkflowFile } from "../workflow/load.js";
import type { Workflow } from "../workflow/model.js";
import { compareVersions } from "../workflow/versions.js";

export { compareVersions };

/** Where a worker finds the definition a run is pinned to. */
export interface WorkflowSource {
  get(name: string, version: string): Promise<Workflow | undefined>;
}

/** A source that can also say which versions exist, for starting runs by name. */
export interface WorkflowCatalog extends WorkflowSource {
  /** The newest version (by semantic version order, then by text). */
  latest(name: string): Promise<Workflow | undefined>;
  list(): Promise<readonly Workflow[]>;
}

/** A fixed set of workflows (local runs, tests, workflows bundled with a Lambda). */
export function staticWorkflows(workflows: readonly Workflow[]): WorkflowCatalog {
  const byKey = new Map(workflows.map((w) => [`${w.name}@${w.version}`, w]));
  return {
    get: async (name, version) => byKey.get(`${name}@${version}`),
    latest: async (name) =>
      workflows
        .filter((w) => w.name === name)
        .sort((a, b) => compareVersions(b.version, a.version))[0],
    list: async () => workflows,
  };
}

/**
 * Every `*.yaml`/`*.yml` file in a directory. An invalid file fails loudly with its
 * diagnostics: a deployment must not start with a workflow it cannot run.
 */
export async function directoryWorkflows(dir: string): Promise<WorkflowCatalog> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const workflows: Workflow[] = [];
  for (const file of files) {
    const result = await loadWorkflowFile(join(dir, file));
    if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join("\n"));
    workflows.push(result.workflow);
  }
  return staticWorkflows(workflows);
}
