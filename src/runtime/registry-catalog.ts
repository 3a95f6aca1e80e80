/**
 * Workflows from a registry, compiled on first use and cached by digest (a definition
 * never changes once registered), optionally layered over a fixed set of files.
 */
import { createHash } from "node:crypto";
import type { StoredDefinition, WorkflowRegistry } from "../ports/workflow-registry.js";
import { formatDiagnostic } from "../workflow/diagnostics.js";
import { loadWorkflow } from "../workflow/load.js";
import type { Workflow } from "../workflow/model.js";
import { compareVersions, type WorkflowCatalog } from "./workflow-source.js";

export function digestOf(source: string): string {
  return createHash("sha256").update(source).digest("hex");
}

export function registryCatalog(
  registry: WorkflowRegistry,
  base?: WorkflowCatalog,
): WorkflowCatalog {
  const compiled = new Map<string, Workflow>();
  const compile = (d: StoredDefinition): Workflow => {
    const known = compiled.get(d.digest);
    if (known) return known;
    const result = loadWorkflow(d.source, `${d.name}@${d.version}`);
    // Definitions are validated before they are stored; failing here means the language
    // changed under a stored definition, which must be loud.
    if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join("\n"));
    compiled.set(d.digest, result.workflow);
    return result.workflow;
  };
  return {
    async get(name, version) {
      const stored = await registry.get(name, version);
      return stored ? compile(stored) : base?.get(name, version);
    },
    async latest(name) {
      const versions = [...(await registry.versions(name))].sort((a, b) =>
        compareVersions(b.version, a.version),
      );
      const fromRegistry = versions[0] && compile(versions[0]);
      const fromBase = await base?.latest(name);
      if (!fromRegistry) return fromBase;
      if (!fromBase) return fromRegistry;
      return compareVersions(fromBase.version, fromRegistry.version) > 0 ? fromBase : fromRegistry;
    },
    async list() {
      const all = [...((await base?.list()) ?? [])];
      for (const name of await registry.names()) {
        for (const d of await registry.versions(name)) all.push(compile(d));
      }
      return all;
    },
  };
}
