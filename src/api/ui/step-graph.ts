/**
 * The step graph as inline SVG, left to right: one column per layer (a step sits one column
 * right of its deepest dependency), steps of a column stacked and centred, edges as curves
 * into the step that waits for them, parallel groups boxed. Colours come from the page's
 * stylesheet through `status-…` classes, so the picture and the table use one palette.
 */
import { escapeHtml } from "../html.js";
import { formatDuration, plural } from "./format.js";
import type { StepView } from "./run-view.js";

const NODE_W = 224;
const NODE_H = 86;
const GAP_X = 44;
const GAP_Y = 26;
const PAD = 16;
/** Room above a column for a parallel group's label. */
const LABEL_H = 18;
/** Roughly how many characters of the node's 11px monospace fit its width. */
const CHARS = 29;

interface Box {
  readonly x: number;
  readonly y: number;
}

function clip(text: string, max = CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function place(steps: readonly StepView[]) {
  const depth = steps.length === 0 ? 0 : Math.max(...steps.map((s) => s.layer)) + 1;
  const columns = Array.from({ length: depth }, (_, l) => steps.filter((s) => s.layer === l));
  const hasGroups = steps.some((s) => s.group !== undefined);
  const top = PAD + (hasGroups ? LABEL_H : 0);
  const heights = columns.map((c) => c.length * (NODE_H + GAP_Y) - GAP_Y);
  const tallest = Math.max(NODE_H, ...heights);
  const boxes = new Map<string, Box>();
  columns.forEach((column, layer) => {
    const offset = top + (tallest - (heights[layer] ?? 0)) / 2;
    column.forEach((step, i) => {
      boxes.set(step.row.step, {
        x: PAD + layer * (NODE_W + GAP_X),
        y: offset + i * (NODE_H + GAP_Y),
      });
    });
  });
  return {
    boxes,
    width: PAD * 2 + Math.max(1, columns.length) * (NODE_W + GAP_X) - GAP_X,
    height: top + tallest + PAD,
  };
}

function edge(from: Box, to: Box, status: string): string {
  const x1 = from.x + NODE_W;
  const y1 = from.y + NODE_H / 2;
  const x2 = to.x - 6;
  const y2 = to.y + NODE_H / 2;
  const bend = (x2 - x1) / 2;
  const d = `M${x1} ${y1} C${x1 + bend} ${y1} ${x2 - bend} ${y2} ${x2} ${y2}`;
  return `<path class="edge from-${status}" d="${d}" marker-end="url(#arrow)"/>`;
}

function groupBoxes(steps: readonly StepView[], boxes: ReadonlyMap<string, Box>): string[] {
  const groups = new Map<string, StepView[]>();
  for (const s of steps)
    if (s.group !== undefined) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  return [...groups].flatMap(([name, members]) => {
    // A group whose members ended up in different columns would overlap other steps.
    if (new Set(members.map((m) => m.layer)).size !== 1) return [];
    const ys = members.map((m) => boxes.get(m.row.step)?.y ?? 0);
    const x = (boxes.get(members[0]?.row.step ?? "")?.x ?? 0) - 10;
    const y = Math.min(...ys) - 10;
    const h = Math.max(...ys) - Math.min(...ys) + NODE_H + 20;
    return [
      `<g class="group"><rect x="${x}" y="${y}" width="${NODE_W + 20}" height="${h}" rx="12"/>`,
      `<text x="${x + 4}" y="${y - 6}">parallel: ${escapeHtml(clip(name))}</text></g>`,
    ];
  });
}

/** Attempts and time, or why there are none: the node's last line. */
function detail(step: StepView, final: boolean): string {
  const r = step.row;
  if (step.display === "running") return `attempt ${r.attempts + 1}`;
  if (step.display === "pending") return final ? "not run" : "not started";
  if (step.display === "skipped") return "skipped";
  return [
    plural(r.attempts, "attempt"),
    ...(r.durationMs === undefined ? [] : [formatDuration(r.durationMs)]),
  ].join(" · ");
}

function node(step: StepView, box: Box, final: boolean): string {
  const r = step.row;
  const status = step.display.replaceAll("_", " ");
  const facts = detail(step, final);
  const hover = [
    r.step,
    r.call,
    `${status} · ${facts}`,
    ...(r.error ? [`${r.error.code}: ${r.error.message}`] : []),
    ...(step.waitingFor ? [`waiting for ${step.waitingFor}`] : []),
    ...(r.skipReason !== undefined ? [`skipped: ${r.skipReason}`] : []),
  ].join("\n");
  const undo = r.compensation?.order;
  const cx = box.x + NODE_W - 18;
  const badge =
    undo === undefined
      ? ""
      : `<g class="undo-badge"><circle cx="${cx}" cy="${box.y + 18}" r="11"/><text x="${cx}" y="${box.y + 22}">↩${undo}</text></g>`;
  const text = (cls: string, dy: number, value: string, max = CHARS) =>
    `<text class="${cls}" x="${box.x + 16}" y="${box.y + dy}">${escapeHtml(clip(value, max))}</text>`;
  return [
    `<g class="step status-${step.display}" data-step="${escapeHtml(r.step)}" data-status="${step.display}">`,
    `<title>${escapeHtml(hover)}</title>`,
    `<rect class="box" x="${box.x}" y="${box.y}" width="${NODE_W}" height="${NODE_H}" rx="8"/>`,
    `<rect class="accent" x="${box.x}" y="${box.y}" width="6" height="${NODE_H}" rx="3"/>`,
    text("id", 23, r.step, undo === undefined ? 24 : 21),
    text("call", 41, r.call),
    text("status", 62, status),
    text("detail", 77, facts),
    badge,
    "</g>",
  ].join("");
}

/** The graph of a run's steps, sized to its content (the page scrolls it sideways when wide). */
export function stepGraph(steps: readonly StepView[], final: boolean): string {
  const { boxes, width, height } = place(steps);
  const edges = steps.flatMap((s) =>
    s.dependsOn.flatMap((dep) => {
      const from = boxes.get(dep);
      const to = boxes.get(s.row.step);
      const source = steps.find((x) => x.row.step === dep);
      return from && to ? [edge(from, to, source?.display ?? "pending")] : [];
    }),
  );
  return [
    `<svg class="graph" role="img" aria-label="step graph" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z"/></marker></defs>',
    ...groupBoxes(steps, boxes),
    ...edges,
    ...steps.map((s) => node(s, boxes.get(s.row.step) ?? { x: 0, y: 0 }, final)),
    "</svg>",
  ].join("");
}
