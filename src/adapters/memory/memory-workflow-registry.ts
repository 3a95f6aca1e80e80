import {
  DefinitionConflictError,
  type StoredDefinition,
  type WorkflowRegistry,
} from "../../ports/workflow-registry.js";

export function createMemoryWorkflowRegistry(): WorkflowRegistry {
  const byName = new Map<string, Map<string, StoredDefinition>>();
  return {
    async register(definition) {
      const versions = byName.get(definition.name) ?? new Map<string, StoredDefinition>();
      const existing = versions.get(definition.version);
      if (existing) {
        if (existing.digest !== definition.digest) throw new DefinitionConflictError(existing);
        return "unchanged";
      }
      versions.set(definition.version, { ...definition });
      byName.set(definition.name, versions);
      return "created";
    },
    get: async (name, version) => byName.get(name)?.get(version),
    versions: async (name) => [...(byName.get(name)?.values() ?? [])],
    names: async () => [...byName.keys()].sort(),
  };
}
