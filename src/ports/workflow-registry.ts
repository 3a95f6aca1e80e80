/** A workflow definition as registered: its YAML text, immutable once stored. */
export interface StoredDefinition {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  /** sha256 of the source, hex: equal digests mean equal definitions. */
  readonly digest: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

export class DefinitionConflictError extends Error {
  override readonly name = "DefinitionConflictError";
  constructor(readonly existing: StoredDefinition) {
    super(
      `${existing.name} version ${existing.version} is already registered with different content`,
    );
  }
}

/**
 * Versioned workflow definitions. A version, once registered, never changes: registering
 * the same content again is a no-op, different content is a DefinitionConflictError.
 */
export interface WorkflowRegistry {
  register(definition: StoredDefinition): Promise<"created" | "unchanged">;
  get(name: string, version: string): Promise<StoredDefinition | undefined>;
  /** Every version of a workflow, without order guarantees. */
  versions(name: string): Promise<readonly StoredDefinition[]>;
  names(): Promise<readonly string[]>;
}
