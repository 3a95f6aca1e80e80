import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatDiagnostic } from "../workflow/diagnostics.js";
import { loadWorkflowFile } from "../workflow/load.js";
import { toDot, toMermaid } from "../workflow/render-graph.js";
import { workflowJsonSchema } from "../workflow/schema.js";
import { EXIT, UsageError } from "./io.js";
import type { Command } from "./main.js";

export const validateCommand: Command = {
  summary: "Check workflow files; print FILE: ok or every error as file:line:column.",
  usage: "maestro validate FILE...",
  async run(args, io) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    if (positionals.length === 0) throw new UsageError("name at least one workflow file");
    let failed = false;
    for (const file of positionals) {
      const result = await loadWorkflowFile(resolve(io.cwd, file));
      if (result.ok) {
        io.stdout(`${file}: ok\n`);
        continue;
      }
      failed = true;
      for (const d of result.diagnostics) io.stdout(`${formatDiagnostic({ ...d, file })}\n`);
    }
    return failed ? EXIT.failed : EXIT.ok;
  },
};

export const graphCommand: Command = {
  summary: "Print a workflow's step graph as Mermaid (or Graphviz dot).",
  usage: "maestro graph FILE [--format mermaid|dot]",
  async run(args, io) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { format: { type: "string", default: "mermaid" } },
    });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0)
      throw new UsageError("name exactly one workflow file");
    if (values.format !== "mermaid" && values.format !== "dot") {
      throw new UsageError(`--format must be mermaid or dot, not "${values.format}"`);
    }
    const result = await loadWorkflowFile(resolve(io.cwd, file));
    if (!result.ok) {
      for (const d of result.diagnostics) io.stderr(`${formatDiagnostic({ ...d, file })}\n`);
      return EXIT.failed;
    }
    io.stdout(values.format === "dot" ? toDot(result.workflow) : toMermaid(result.workflow));
    return EXIT.ok;
  },
};

export const schemaCommand: Command = {
  summary: "Print the JSON Schema of the workflow language (for editors).",
  usage: "maestro schema",
  async run(args, io) {
    parseArgs({ args, allowPositionals: false, options: {} });
    io.stdout(`${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
    return EXIT.ok;
  },
};
