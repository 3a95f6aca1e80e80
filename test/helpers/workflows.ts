import { formatDiagnostic } from "../../src/workflow/diagnostics.js";
import { loadWorkflow, loadWorkflowFile } from "../../src/workflow/load.js";
import type { Workflow } from "../../src/workflow/model.js";

/** Compiles a workflow from YAML, failing the test with the diagnostics if it is invalid. */
export function workflowFrom(yaml: string): Workflow {
  const result = loadWorkflow(yaml, "test.yaml");
  if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join("\n"));
  return result.workflow;
}

export async function workflowFile(path: string): Promise<Workflow> {
  const result = await loadWorkflowFile(path);
  if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join("\n"));
  return result.workflow;
}
