/**
 * The HTML page of one run: its status and facts, why it failed, the step graph coloured
 * by status, the timeline table with attempts, durations, results and errors, and the
 * compensations in the order they ran. Every value from the run is escaped.
 */
import { escapeHtml as e } from "../html.js";
import { formatDuration, formatTime, plural, summarize } from "./format.js";
import { LIVE_SCRIPT, STYLE } from "./page-assets.js";
import {
  type CompensationView,
  DISPLAY_STATUSES,
  type RunView,
  type StepView,
} from "./run-view.js";
import { stepGraph } from "./step-graph.js";

const label = (status: string) => status.replaceAll("_", " ");
const badge = (status: string) =>
  `<span class="badge status-${e(status)}">${e(label(status))}</span>`;

/** A page shell shared by the run page, the list and the not-found page. */
export function pageShell(title: string, body: string, script = false): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title><style>${STYLE}</style></head><body>`,
    body,
    script ? `<script>${LIVE_SCRIPT}</script>` : "",
    "</body></html>",
  ].join("");
}

function json(id: string, name: string, value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? "null";
  return `<details id="${id}"><summary><span class="label">${e(name)}</span><span class="preview muted mono">${e(summarize(value, 160))}</span></summary><pre>${e(text)}</pre></details>`;
}

function result(step: StepView, index: number): string {
  const r = step.row;
  if (r.error) {
    const prefix = r.status === "failed" ? "" : '<span class="muted">last attempt: </span>';
    return `${prefix}<span class="error">${e(r.error.code)}: ${e(r.error.message)}</span>`;
  }
  if (r.skipReason !== undefined) return `<span class="muted">skipped: ${e(r.skipReason)}</span>`;
  if (step.waitingFor) return `<span class="muted">waiting for ${e(step.waitingFor)}</span>`;
  if (r.output !== undefined) return json(`output-${index}`, "output", r.output);
  return "";
}

function stepRows(steps: readonly StepView[]): string {
  const rows = steps.map((s, i) => {
    const r = s.row;
    return [
      `<tr class="status-${s.display}" data-step="${e(r.step)}">`,
      `<td><b>${e(r.step)}</b></td><td class="mono">${e(r.call)}</td>`,
      `<td>${badge(s.display)}</td>`,
      `<td class="num attempts">${r.attempts}</td>`,
      `<td class="num">${r.durationMs === undefined ? "" : formatDuration(r.durationMs)}</td>`,
      `<td class="result">${result(s, i)}</td></tr>`,
    ].join("");
  });
  return `<table class="steps"><thead><tr><th>Step</th><th>Call</th><th>Status</th><th class="num">Attempts</th><th class="num">Time</th><th>Result</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function compensationList(view: RunView): string {
  if (view.compensations.length === 0) {
    const why =
      view.state.status === "succeeded" || view.state.status === "running"
        ? "Nothing has been undone."
        : "No completed step had anything to undo.";
    return `<p class="muted">${why}</p>`;
  }
  const item = (c: CompensationView) => {
    const facts = [
      plural(c.attempts, "attempt"),
      ...(c.durationMs === undefined ? [] : [formatDuration(c.durationMs)]),
    ].join(" · ");
    const error = c.error
      ? `<span class="error">${e(c.error.code)}: ${e(c.error.message)}</span>`
      : "";
    return [
      `<li class="status-${c.status === "succeeded" ? "compensated" : c.status === "failed" ? "compensation_failed" : "compensating"}" data-step="${e(c.step)}" data-status="${c.status}">`,
      `<span class="order">${c.order === undefined ? "–" : `${c.order}.`}</span>`,
      `<span class="what"><b>${e(c.step)}</b><span class="mono">${e(c.call)}</span></span>`,
      `<span>${badge(c.status)} <span class="muted">${facts}</span></span>`,
      error,
      "</li>",
    ].join("");
  };
  return `<p class="muted">In the order they ran (reverse order of completion).</p><ol class="compensations">${view.compensations.map(item).join("")}</ol>`;
}

function facts(view: RunView, now: number): string {
  const s = view.state;
  const took = (view.final ? (s.finishedAt ?? s.updatedAt) : now) - s.createdAt;
  const items: [string, string][] = [
    ["run", `<code>${e(s.runId)}</code>`],
    ["started", formatTime(s.createdAt)],
    [view.final ? "finished" : "updated", formatTime(s.finishedAt ?? s.updatedAt)],
    [view.final ? "took" : "running for", formatDuration(took)],
    ["json", `<a href="/v1/runs/${encodeURIComponent(s.runId)}">/v1/runs/${e(s.runId)}</a>`],
  ];
  return `<dl class="facts">${items.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join("")}</dl>`;
}

function failure(view: RunView): string {
  const f = view.state.failure;
  if (!f)
    return view.state.cancelRequested
      ? '<section class="failure"><h2>Cancelled</h2><p>The run was cancelled; what completed is undone.</p></section>'
      : "";
  const where = f.stepId === undefined ? "" : ` at step <b>${e(f.stepId)}</b>`;
  return `<section class="failure"><h2>Failed${where}</h2><p class="error">${e(f.error.code)}: ${e(f.error.message)}</p></section>`;
}

/**
 * The whole page; the live script is included only while the run can still change.
 * `now` dates a live run's age.
 */
export function runPage(view: RunView, now: number): string {
  const s = view.state;
  const title = `${s.workflow} · ${label(s.status)} · ${s.runId}`;
  const legend = DISPLAY_STATUSES.map((d) => `<li>${badge(d)}</li>`).join("");
  const graph = view.known
    ? `<div class="graph-wrap">${stepGraph(view.steps, view.final)}</div><ul class="legend">${legend}</ul>`
    : `<p class="muted">The workflow ${e(s.workflow)}@${e(s.version)} is not registered here any more, so its steps cannot be drawn.</p>`;
  const output = s.output === undefined ? "" : json("run-output", "output", s.output);
  const body = [
    `<main id="run" data-run-id="${e(s.runId)}" data-status="${e(s.status)}" data-final="${view.final}" data-title="${e(title)}">`,
    `<header><nav><a href="/ui/runs">runs</a> / ${e(s.workflow)}</nav>`,
    `<h1>${e(s.workflow)} <span class="version">@${e(s.version)}</span></h1>`,
    `<span class="run-status">${badge(s.status)}</span>`,
    view.final ? "" : '<span class="live">live</span>',
    facts(view, now),
    "</header>",
    failure(view),
    `<section><h2>Steps</h2>${graph}</section>`,
    view.known ? `<section><h2>Timeline</h2>${stepRows(view.steps)}</section>` : "",
    `<section><h2>Compensations</h2>${compensationList(view)}</section>`,
    `<section><h2>Data</h2>${json("run-input", "input", s.input)}${output}</section>`,
    "</main>",
  ].join("");
  return pageShell(title, body, !view.final);
}
