/** A run's timeline as an aligned text table, for terminals. */
import type { TimelineRow } from "../engine/timeline.js";

function summarize(value: unknown, width = 48): string {
  if (value === undefined) return "";
  const text = JSON.stringify(value) ?? "";
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

function pad(cells: string[][]): string[] {
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length))) ?? [];
  return cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

export function renderTimeline(rows: readonly TimelineRow[], indent = "  "): string {
  const table = [["STEP", "CALL", "STATUS", "ATTEMPTS", "TIME", "RESULT"]];
  for (const r of rows) {
    const result = r.error
      ? `${r.error.code}: ${r.error.message}`
      : r.skipReason !== undefined
        ? r.skipReason
        : summarize(r.output);
    table.push([
      r.step,
      r.call,
      r.status,
      String(r.attempts),
      r.durationMs === undefined ? "" : `${r.durationMs}ms`,
      result,
    ]);
  }
  const lines = pad(table).map((l) => `${indent}${l}`);
  const undone = rows
    .filter((r) => r.compensation)
    .sort((a, b) => (a.compensation?.order ?? 99) - (b.compensation?.order ?? 99));
  if (undone.length > 0) {
    lines.push(`${indent}compensations, in the order they ran:`);
    const comp = undone.map((r) => [
      `${r.compensation?.order ?? "-"}.`,
      r.step,
      r.compensation?.call ?? "",
      r.compensation?.status ?? "",
      `${r.compensation?.attempts ?? 0} attempt(s)`,
      r.compensation?.durationMs === undefined ? "" : `${r.compensation.durationMs}ms`,
      r.compensation?.error ? `${r.compensation.error.code}: ${r.compensation.error.message}` : "",
    ]);
    lines.push(...pad(comp).map((l) => `${indent}  ${l}`));
  }
  return `${lines.join("\n")}\n`;
}
