import {
  DefinitionConflictError,
  type StoredDefinition,
  type WorkflowRegistry,
} from "../../ports/workflow-registry.js";
import { type Db, inTransaction } from "./database.js";

interface Row {
  name: string;
  version: string;
  source: string;
  digest: string;
  created_at: number;
}

const definition = (r: Row): StoredDefinition => ({
  name: r.name,
  version: r.version,
  source: r.source,
  digest: r.digest,
  createdAt: r.created_at,
});

/** Registered workflow definitions in the embedded database; a version never changes. */
export function createSqliteWorkflowRegistry(db: Db): WorkflowRegistry {
  const one = db.prepare("select * from workflows where name = ? and version = ?");
  return {
    async register(d) {
      return inTransaction(db, () => {
        const existing = one.get(d.name, d.version) as Row | undefined;
        if (existing) {
          if (existing.digest !== d.digest) throw new DefinitionConflictError(definition(existing));
          return "unchanged" as const;
        }
        db.prepare(
          "insert into workflows (name, version, source, digest, created_at) values (?, ?, ?, ?, ?)",
        ).run(d.name, d.version, d.source, d.digest, d.createdAt);
        return "created" as const;
      });
    },
    get: async (name, version) => {
      const row = one.get(name, version) as Row | undefined;
      return row && definition(row);
    },
    versions: async (name) =>
      (db.prepare("select * from workflows where name = ?").all(name) as Row[]).map(definition),
    names: async () =>
      (
        db.prepare("select distinct name from workflows order by name").all() as { name: string }[]
      ).map((r) => r.name),
  };
}
