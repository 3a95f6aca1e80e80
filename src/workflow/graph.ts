/** Dependency graph helpers: cycle detection, transitive upstream sets, a stable topological order. */

export type Edges = ReadonlyMap<string, readonly string[]>;

/** Returns one cycle (as a closed path a → b → a) if the graph has any. */
export function findCycle(order: readonly string[], deps: Edges): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const seen = state.get(id);
    if (seen === "done") return undefined;
    if (seen === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of order) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every node each node transitively depends on. The graph must be acyclic. */
export function upstreamSets(order: readonly string[], deps: Edges): Map<string, Set<string>> {
  const memo = new Map<string, Set<string>>();
  const compute = (id: string): Set<string> => {
    const known = memo.get(id);
    if (known) return known;
    const set = new Set<string>();
    memo.set(id, set);
    for (const dep of deps.get(id) ?? []) {
      set.add(dep);
      for (const further of compute(dep)) set.add(further);
    }
    return set;
  };
  for (const id of order) compute(id);
  return memo;
}

/** Kahn's algorithm, taking the earliest node in file order whenever several are ready. */
export function topologicalOrder(order: readonly string[], deps: Edges): string[] {
  const position = new Map(order.map((id, i) => [id, i]));
  const remaining = new Map(order.map((id) => [id, new Set(deps.get(id) ?? [])]));
  const result: string[] = [];
  while (remaining.size > 0) {
    let next: string | undefined;
    for (const [id, pending] of remaining) {
      if (
        pending.size === 0 &&
        (next === undefined || (position.get(id) ?? 0) < (position.get(next) ?? 0))
      ) {
        next = id;
      }
    }
    if (next === undefined) throw new Error("topologicalOrder: the graph has a cycle");
    result.push(next);
    remaining.delete(next);
    for (const pending of remaining.values()) pending.delete(next);
  }
  return result;
}

/**
 * Each node's layer for drawing: 0 for nodes without dependencies, otherwise one more than
 * its deepest dependency (longest path), so every edge points to a later layer. `order`
 * must be topological.
 */
export function layers(order: readonly string[], deps: Edges): Map<string, number> {
  const layer = new Map<string, number>();
  for (const id of order) {
    const depths = (deps.get(id) ?? []).map((d) => (layer.get(d) ?? 0) + 1);
    layer.set(id, Math.max(0, ...depths));
  }
  return layer;
}
