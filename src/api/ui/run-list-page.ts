/** The HTML list of recent runs at /ui/runs, each linking to its picture. */

import type { RunPage } from "../../ports/saga-log.js";
import { escapeHtml as e } from "../html.js";
import { formatTime } from "./format.js";
import { pageShell } from "./run-page.js";

export interface ListFilter {
  readonly workflow?: string;
  readonly status?: string;
}

function nextLink(filter: ListFilter, cursor: string): string {
  const query = new URLSearchParams({
    ...(filter.workflow !== undefined && { workflow: filter.workflow }),
    ...(filter.status !== undefined && { status: filter.status }),
    cursor,
  });
  return `<p><a class="next" href="/ui/runs?${e(query.toString())}">older runs →</a></p>`;
}

export function runListPage(page: RunPage, filter: ListFilter): string {
  const rows = page.runs.map((r) =>
    [
      `<tr data-run-id="${e(r.runId)}">`,
      `<td><a href="/ui/runs/${encodeURIComponent(r.runId)}"><code>${e(r.runId)}</code></a></td>`,
      `<td>${e(r.workflow)} <span class="muted">@${e(r.version)}</span></td>`,
      `<td><span class="badge status-${e(r.status)}">${e(r.status.replaceAll("_", " "))}</span></td>`,
      `<td>${formatTime(r.createdAt)}</td><td>${formatTime(r.updatedAt)}</td></tr>`,
    ].join(""),
  );
  const which = [filter.workflow, filter.status].filter((x) => x !== undefined).join(", ");
  const table =
    rows.length === 0
      ? '<p class="muted">No runs.</p>'
      : `<table><thead><tr><th>Run</th><th>Workflow</th><th>Status</th><th>Started</th><th>Updated</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
  const body = [
    '<main id="runs"><header>',
    `<h1>Runs${which === "" ? "" : ` <span class="version">${e(which)}</span>`}</h1></header>`,
    `<section>${table}${page.cursor === undefined ? "" : nextLink(filter, page.cursor)}</section>`,
    "</main>",
  ].join("");
  return pageShell("Maestro runs", body);
}

/** The page for a run id nobody knows. */
export function missingRunPage(runId: string): string {
  const body = `<main id="missing"><header><nav><a href="/ui/runs">runs</a></nav><h1>Run not found</h1></header><section><p>No run has the id <code>${e(runId)}</code>.</p></section></main>`;
  return pageShell("Run not found", body);
}
