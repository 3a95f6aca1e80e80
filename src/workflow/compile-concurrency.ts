/** Compiles a workflow's `concurrency` block: its key must be a template over the input alone. */
import { templateReferences } from "../template/index.js";
import { type Context, template } from "./compile-templates.js";
import type { ConcurrencyPolicy } from "./model.js";
import { checkReferences } from "./references.js";
import type { RawConcurrency } from "./schema.js";

/**
 * The policy, or undefined when there is none or its key is reported. The key is evaluated
 * when the run starts, before any step has run, so it may read `.input` and `.run` only.
 */
export function compileConcurrency(
  raw: RawConcurrency | undefined,
  ctx: Context,
): ConcurrencyPolicy | undefined {
  if (!raw) return undefined;
  if (raw.key === undefined) return { max: raw.max };
  const path = ["concurrency", "key"];
  const key = template(raw.key, path, ctx);
  if (!key) return undefined;
  const refs = templateReferences(key).map((r) => ({ ...r, at: path }));
  checkReferences(refs, { scope: "concurrency key", visible: new Set(), outputs: new Map() }, ctx);
  return { max: raw.max, key };
}
