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
  /** Steps whose id is taken by an earlier one: reported, then left out like invalid ones. */
  const duplicates = new Set<string>();
  const claim = (id: string, path: YamlPath) => {
    const first = seen.get(id);
    if (first) {
      const { line } = source.node(first, "");
      out.push(
        source.node(path, `duplicate id "${id}" (first used on line ${line})`, { key: "id" }),
      );
      duplicates.add(path.join("/"));
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

  const resolve = (written: string | readonly string[], path: YamlPath): string[] => {
    const ids: string[] = [];
    const names = typeof written === "string" ? [written] : written;
    names.forEach((name, k) => {
      const group = groups.get(name);
      if (group) ids.push(...group);
      else if (stepIds.has(name)) ids.push(name);
      else {
        // Point at the name itself, also in a one-item list.
        const at =
          typeof written === "string" ? [...path, "depends_on"] : [...path, "depends_on", k];
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
      const entry = group.depends_on === undefined ? previous : resolve(group.depends_on, path);
      const members: string[] = [];
      group.parallel.forEach((step, j) => {
        const stepPath: YamlPath = [...path, "parallel", j];
        if (duplicates.has(stepPath.join("/"))) return;
        members.push(step.id);
        placed.push({
          raw: step,
          path: stepPath,
          dependsOn: step.depends_on === undefined ? entry : resolve(step.depends_on, stepPath),
          group: {
            ...(group.id !== undefined && { id: group.id }),
            ...(group.when !== undefined && { when: group.when }),
            path,
          },
        });
      });
      if (members.length > 0) previous = members;
    } else {
      const step = item as RawStep;
      if (duplicates.has(path.join("/"))) return;
      const dependsOn = step.depends_on === undefined ? previous : resolve(step.depends_on, path);
      placed.push({ raw: step, path, dependsOn });
      previous = [step.id];
    }
  });
  return placed;
}
