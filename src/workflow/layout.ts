/**
 * Flattens the written step list (steps and parallel groups) into steps with their
 * direct dependencies: sequential by default, a group's members after what precedes the
 * group, and whatever follows a group after all of its members (the join).
 */
import { didYouMean } from "../util/suggest.js";
import type { Diagnostic, SourceMap, YamlPath } from "./diagnostics.js";
import type { RawParallelGroup, RawStep } from "./schema.js";

export interface PlacedStep {
  readonly raw: RawStep;
  readonly path: YamlPath;
  readonly dependsOn: readonly string[];
  readonly group?: { readonly id?: string; readonly when?: string; readonly path: YamlPath };
}

function asList(value: string | readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? [value] : value;
}

export function layoutSteps(
  items: readonly unknown[],
  validItems: ReadonlyMap<number, unknown>,
  source: SourceMap,
  out: Diagnostic[],
): PlacedStep[] {
  // First pass: names, so that depends_on may point forward and at groups.
  const groups = new Map<string, string[]>();
  const stepIds = new Set<string>();
  const seen = new Map<string, YamlPath>();
  const claim = (id: string, path: YamlPath) => {
    const first = seen.get(id);
    if (first) {
      const { line } = source.node(first, "");
      out.push(
        source.node(path, `duplicate id "${id}" (first used on line ${line})`, { key: "id" }),
      );
      return false;
    }
    seen.set(id, path);
    return true;
  };
  items.forEach((_, i) => {
    const item = validItems.get(i);
    if (item === undefined) return;
    if ("parallel" in (item as object)) {
      const group = item as RawParallelGroup;
      const members = group.parallel.map((s) => s.id);
      if (group.id !== undefined && claim(group.id, ["steps", i])) groups.set(group.id, members);
      group.parallel.forEach((s, j) => {
        if (claim(s.id, ["steps", i, "parallel", j])) stepIds.add(s.id);
      });
    } else {
      const step = item as RawStep;
      if (claim(step.id, ["steps", i])) stepIds.add(step.id);
    }
  });

  const resolve = (names: readonly string[], path: YamlPath): string[] => {
    const ids: string[] = [];
    names.forEach((name, k) => {
      const group = groups.get(name);
      if (group) ids.push(...group);
      else if (stepIds.has(name)) ids.push(name);
      else {
        const at =
          typeof k === "number" && names.length > 1
            ? [...path, "depends_on", k]
            : [...path, "depends_on"];
        out.push(
          source.node(
            at,
            `depends_on: unknown step "${name}"${didYouMean(name, [...stepIds, ...groups.keys()])}`,
          ),
        );
      }
    });
    return [...new Set(ids)];
  };

  const placed: PlacedStep[] = [];
  let previous: readonly string[] = [];
  items.forEach((_, i) => {
    // An invalid item is already reported; its successors follow what preceded it.
    const item = validItems.get(i);
    if (item === undefined) return;
    const path: YamlPath = ["steps", i];
    if ("parallel" in (item as object)) {
      const group = item as RawParallelGroup;
      const explicit = asList(group.depends_on);
      const entry = explicit ? resolve(explicit, path) : previous;
      group.parallel.forEach((step, j) => {
        const stepPath: YamlPath = [...path, "parallel", j];
        const own = asList(step.depends_on);
        placed.push({
          raw: step,
          path: stepPath,
          dependsOn: own ? resolve(own, stepPath) : entry,
          group: {
            ...(group.id !== undefined && { id: group.id }),
            ...(group.when !== undefined && { when: group.when }),
            path,
          },
        });
      });
      previous = group.parallel.map((s) => s.id);
    } else {
      const step = item as RawStep;
      const own = asList(step.depends_on);
      placed.push({ raw: step, path, dependsOn: own ? resolve(own, path) : previous });
      previous = [step.id];
    }
  });
  return placed;
}
