import { parseArgs } from "node:util";
import { FINAL_STATUSES, type RunStatus } from "../engine/events.js";
import type { TimelineRow } from "../engine/timeline.js";
import { EXIT, UsageError } from "./io.js";
import type { Command } from "./main.js";
import { apiClient, RemoteError } from "./remote.js";
import { renderTimeline } from "./render-timeline.js";

interface RunBody {
  runId: string;
  workflow: string;
  version: string;
  status: RunStatus;
  createdAt: string;
  output?: unknown;
  error?: { code: string; message: string; stepId?: string };
  steps: TimelineRow[];
}

function describeRun(run: RunBody): string {
  const head = `run ${run.runId}  ${run.workflow}@${run.version}  ${run.status}  started ${run.createdAt}\n`;
  const tail = run.error
    ? `  error${run.error.stepId ? ` in ${run.error.stepId}` : ""}: ${run.error.code}: ${run.error.message}\n`
    : run.output !== undefined
      ? `  output: ${JSON.stringify(run.output)}\n`
      : "";
  return head + renderTimeline(run.steps) + tail;
}

export const statusCommand: Command = {
  summary: "Show a run's status and step timeline from a running Maestro API.",
  usage:
    "maestro status RUN_ID [--endpoint URL] [--watch] [--json]   (MAESTRO_ENDPOINT, MAESTRO_TOKEN)",
  async run(args, io) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        endpoint: { type: "string" },
        watch: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        interval: { type: "string", default: "1000" },
      },
    });
    const [runId, ...extra] = positionals;
    if (runId === undefined || extra.length > 0) throw new UsageError("name exactly one run id");
    const api = apiClient(io, values.endpoint);
    try {
      for (;;) {
        const run = await api.get<RunBody>(`/v1/runs/${encodeURIComponent(runId)}`);
        io.stdout(values.json ? `${JSON.stringify(run)}\n` : describeRun(run));
        if (!values.watch || FINAL_STATUSES.has(run.status)) {
          return run.status === "succeeded" || !FINAL_STATUSES.has(run.status)
            ? EXIT.ok
            : EXIT.failed;
        }
        await new Promise((r) => setTimeout(r, Number(values.interval)));
        if (!values.json) io.stdout("\n");
      }
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      io.stderr(`maestro status: ${error.message}\n`);
      return EXIT.failed;
    }
  },
};

export const runsCommand: Command = {
  summary: "List runs from a running Maestro API, newest first.",
  usage: "maestro runs [--workflow NAME] [--status STATUS] [--limit 20] [--endpoint URL] [--json]",
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        endpoint: { type: "string" },
        workflow: { type: "string" },
        status: { type: "string" },
        limit: { type: "string", default: "20" },
        json: { type: "boolean", default: false },
      },
    });
    const query = new URLSearchParams({ limit: values.limit });
    if (values.workflow) query.set("workflow", values.workflow);
    if (values.status) query.set("status", values.status);
    try {
      const page = await apiClient(io, values.endpoint).get<{
        runs: {
          runId: string;
          workflow: string;
          version: string;
          status: string;
          createdAt: string;
        }[];
      }>(`/v1/runs?${query}`);
      if (values.json) {
        io.stdout(`${JSON.stringify(page)}\n`);
        return EXIT.ok;
      }
      const rows = [
        ["RUN", "WORKFLOW", "VERSION", "STATUS", "STARTED"],
        ...page.runs.map((r) => [r.runId, r.workflow, r.version, r.status, r.createdAt]),
      ];
      const widths =
        rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
      for (const r of rows)
        io.stdout(
          `${r
            .map((c, i) => c.padEnd(widths[i] ?? 0))
            .join("  ")
            .trimEnd()}\n`,
        );
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      io.stderr(`maestro runs: ${error.message}\n`);
      return error.status === 400 ? EXIT.usage : EXIT.failed;
    }
  },
};
