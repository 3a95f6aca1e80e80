/**
 * Compiles the workflow's `sensitive:` list. Each entry is a dot path rooted at `input` or
 * at a step's output name; `*` stands for any key of a map or any index of a list. A path
 * that names nothing the run will hold is a mistake (a typo would silently mask nothing),
 * so it is an error at the entry itself.
 */
import { didYouMean } from "../util/suggest.js";
import type { Diagnostic, SourceMap } from "./diagnostics.js";
import type { SensitivePath } from "./model.js";

const SEGMENT = /^(?:[A-Za-z0-9_-]+|\*)$/;

/** Checks each entry; returns the valid ones split into segments. */
export function compileSensitive(
  raw: readonly string[] | undefined,
  outputs: ReadonlyMap<string, string>,
  ctx: { source: SourceMap; out: Diagnostic[] },
): SensitivePath[] {
  const paths: SensitivePath[] = [];
  (raw ?? []).forEach((entry, i) => {
    const at = ["sensitive", i];
    const segments = entry.split(".");
    const bad = segments.findIndex((s) => !SEGMENT.test(s));
    if (bad >= 0) {
      const what = segments[bad] === "" ? "an empty segment" : `"${segments[bad]}"`;
      ctx.out.push(
        ctx.source.node(
          at,
          `sensitive: "${entry}" has ${what}; write dot-separated keys, * for any key or index`,
        ),
      );
      return;
    }
    const root = segments[0] as string;
    if (root !== "input" && !outputs.has(root)) {
      ctx.out.push(
        ctx.source.node(
          at,
          `sensitive: "${entry}" starts with "${root}", which is neither input nor a step's output${didYouMean(root, ["input", ...outputs.keys()])}`,
        ),
      );
      return;
    }
    paths.push(segments);
  });
  return paths;
}
