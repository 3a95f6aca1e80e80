/**
 * Finds places in a workflow's YAML after it was compiled, for checks that run later than
 * validation (descriptor sets, live endpoints) but must still report file:line:column.
 */
import { LineCounter, parseDocument } from "yaml";
import { type Diagnostic, SourceMap, type YamlPath } from "./diagnostics.js";

export interface Locator {
  /**
   * The node at `field` under a step (e.g. `["compensate", "method"]`); with `key`, that key
   * of the mapping at `field` (e.g. an input field's name).
   */
  step(stepId: string, field: readonly string[], message: string, key?: string): Diagnostic;
  service(name: string, field: string, message: string): Diagnostic;
}

export function locator(text: string, file: string): Locator {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const source = new SourceMap(file, doc, lines);
  const raw = doc.toJS({ maxAliasCount: 100 }) as { steps?: unknown[] } | null;
  const paths = new Map<string, YamlPath>();
  (raw?.steps ?? []).forEach((item, i) => {
    const entry = item as { id?: string; parallel?: { id?: string }[] } | null;
    if (Array.isArray(entry?.parallel)) {
      entry.parallel.forEach((s, j) => {
        if (typeof s?.id === "string") paths.set(s.id, ["steps", i, "parallel", j]);
      });
    } else if (typeof entry?.id === "string") {
      paths.set(entry.id, ["steps", i]);
    }
  });
  return {
    step: (stepId, field, message, key) => {
      const at = [...(paths.get(stepId) ?? ["steps"]), ...field];
      return key === undefined ? source.node(at, message) : source.node(at, message, { key });
    },
    service: (name, field, message) => source.node(["services", name, field], message),
  };
}
