/**
 * Loads a workflow from YAML text: syntax, shape, semantics, then the compiled model.
 * Every problem is reported at once, each with file:line:column.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type Document, LineCounter, parseDocument, visit, type YAMLError } from "yaml";
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
  const source = new SourceMap(file, doc, lineCounter, text);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      diagnostics: sortDiagnostics(
        doc.errors.map((e) => source.at(errorOffset(doc, e), `YAML: ${firstLine(e.message)}`)),
      ),
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
  // Semantic checks need a mapping and some usable steps; broken steps are left out of them.
  // A bad top-level field (say an unquoted version) does not hide the other errors.
  if (shape.validSteps.size === 0) return { ok: false, diagnostics: sortDiagnostics(diagnostics) };
  const rawServices = ((raw as { services?: Record<string, unknown> }).services ??
    {}) as RawWorkflow["services"];
  const services = Object.fromEntries(
    Object.entries(rawServices).filter(([n]) => shape.validServices.has(n)),
  );
  // Top-level settings with a bad shape are left out; steps, output and triggers are still checked.
  const { steps, output, triggers } = raw as Record<string, unknown>;
  const top = shape.topOk ? (raw as object) : { steps, output, triggers };
  const normalised = { ...top, services } as RawWorkflow;
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

/** An unclosed quote is reported at the opening quote rather than where the file ends. */
function errorOffset(doc: Document, error: YAMLError): number {
  const at = error.pos[0];
  if (error.code !== "MISSING_CHAR" || !error.message.includes("quote")) return at;
  let start = at;
  visit(doc, {
    Scalar(_, node) {
      const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
      if (quoted && node.range?.[1] === at) start = node.range[0];
    },
  });
  return start;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  const unique = new Map(list.map((d) => [`${d.line}:${d.column}:${d.message}`, d]));
  return [...unique.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}
