/**
 * Checks what templates read: `.input…` and `.run…` always exist; a step's output only
 * when the step that produces it is guaranteed to have finished first (it is upstream).
 */
import { didYouMean } from "../util/suggest.js";
import type { Diagnostic, SourceMap, YamlPath } from "./diagnostics.js";

export interface Reference {
  readonly path: readonly string[];
  /** Offset of the reference inside the template string at `at`. */
  readonly offset: number;
  readonly at: YamlPath;
}

/** Roots every template may read. `run` carries id, workflow, version and started_at. */
const ALWAYS_VISIBLE = ["input", "run"];

export function checkReferences(
  refs: readonly Reference[],
  options: {
    /** For messages: `step "x"`, `workflow output`. */
    scope: string;
    /** Output names readable here. */
    visible: ReadonlySet<string>;
    /** Every output name → its producing step. */
    outputs: ReadonlyMap<string, string>;
  },
  ctx: { source: SourceMap; out: Diagnostic[] },
): void {
  for (const ref of refs) {
    const root = ref.path[0];
    if (root === undefined || ALWAYS_VISIBLE.includes(root) || options.visible.has(root)) continue;
    const producer = options.outputs.get(root);
    const message =
      producer === undefined
        ? `${options.scope} reads .${ref.path.join(".")}, but nothing is named "${root}": use .input, .run or a step's output${didYouMean(root, [...ALWAYS_VISIBLE, ...options.outputs.keys()])}`
        : `${options.scope} reads .${ref.path.join(".")}, but step "${producer}" (which produces "${root}") is not guaranteed to finish before it; add "${producer}" to depends_on`;
    ctx.out.push(ctx.source.node(ref.at, message, { innerOffset: ref.offset }));
  }
}
