/**
 * Loads a workflow from YAML text: syntax, shape, semantics, then the compiled model.
 * Every problem is reported at once, each with file:line:column.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { compileWorkflow } from "./compile.js";
import { type Diagnostic, SourceMap } from "./diagnostics.js";
import type { Workflow } from "./model.js";
import type { RawWorkflow } from "./schema.js";
import { checkShape } from "./shape.js";

export type LoadResult =
  | { readonly ok: true; readonly workflow: Workflow; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/** Workflow files larger than this are refused before parsing. */
export const MAX_WORKFLOW_BYTES = 1024 * 1024;

export function loadWorkflow(text: string, file = "workflow.yaml", baseDir = "."): LoadResult {
  if (Buffer.byteLength(text, "utf8") > MAX_WORKFLOW_BYTES) {
    return {
      ok: false,
      diagnostics: [
        {
          file,
          line: 1,
          column: 1,
          message: `workflow is larger than ${MAX_WORKFLOW_BYTES} bytes`,
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const source = new SourceMap(file, doc, lineCounter);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      diagnostics: doc.errors.map((e) => source.at(e.pos[0], `YAML: ${firstLine(e.message)}`)),
    };
  }
  let raw: unknown;
  try {
    // Aliases are expanded; a cap keeps "billion laughs" documents from exhausting memory.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, diagnostics: [source.at(0, `YAML: ${(error as Error).message}`)] };
  }
  const diagnostics: Diagnostic[] = [];
  const shape = checkShape(raw, source, diagnostics);
  // Semantic checks need a sound top level; broken steps are left out of them.
  if (!shape.topOk || shape.validSteps.size === 0)
    return { ok: false, diagnostics: sortDiagnostics(diagnostics) };
  const rawServices = ((raw as { services?: Record<string, unknown> }).services ??
    {}) as RawWorkflow["services"];
  const services = Object.fromEntries(
    Object.entries(rawServices).filter(([n]) => shape.validServices.has(n)),
  );
  const normalised = { ...(raw as object), services } as RawWorkflow;
  const compiled = compileWorkflow(normalised, shape, file, source, baseDir);
  const all = sortDiagnostics([...diagnostics, ...compiled.diagnostics]);
  if (!shape.ok || !compiled.workflow) return { ok: false, diagnostics: all };
  return { ok: true, workflow: compiled.workflow, diagnostics: all };
}

export async function loadWorkflowFile(path: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : (error as Error).message;
    return { ok: false, diagnostics: [{ file: path, line: 1, column: 1, message: reason }] };
  }
  return loadWorkflow(text, path, dirname(resolve(path)));
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  const unique = new Map(list.map((d) => [`${d.line}:${d.column}:${d.message}`, d]));
  return [...unique.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}
