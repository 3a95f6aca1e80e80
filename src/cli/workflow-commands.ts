import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { ConnectCaller } from "../callers/connect-caller.js";
import { formatDiagnostic } from "../workflow/diagnostics.js";
import { loadWorkflowFile } from "../workflow/load.js";
import { locator } from "../workflow/locate.js";
import { toDot, toMermaid } from "../workflow/render-graph.js";
import { workflowJsonSchema } from "../workflow/schema.js";
import { EXIT, UsageError } from "./io.js";
import type { Command } from "./main.js";

export const validateCommand: Command = {
  summary: "Check workflow files; print FILE: ok or every error as file:line:column.",
  usage: "maestro validate FILE... [--check-endpoints]",
  async run(args, io) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { "check-endpoints": { type: "boolean", default: false } },
    });
    if (positionals.length === 0) throw new UsageError("name at least one workflow file");
    let failed = false;
    let connect: ConnectCaller | undefined;
    try {
      for (const file of positionals) {
        const path = resolve(io.cwd, file);
        const result = await loadWorkflowFile(path);
        let diagnostics = result.diagnostics;
        if (result.ok) {
          const needsServices =
            values["check-endpoints"] ||
            [...result.workflow.services.values()].some((s) => s.descriptors !== undefined);
          if (needsServices) {
            // Loaded only when needed: plain validation stays free of the gRPC stack.
            const { checkServices } = await import("./check-services.js");
            connect ??= (await import("../callers/connect-caller.js")).createConnectCaller();
            const where = locator(await readFile(path, "utf8"), path);
            diagnostics = await checkServices(result.workflow, where, {
              endpoints: values["check-endpoints"],
              connect,
            });
          }
        }
        if (diagnostics.length === 0) {
          io.stdout(`${file}: ok\n`);
          continue;
        }
        failed = true;
        for (const d of diagnostics) io.stdout(`${formatDiagnostic({ ...d, file })}\n`);
      }
    } finally {
      await connect?.close();
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
