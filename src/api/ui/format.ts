/** Small text formatters for the run page. */

/** `850 ms`, `1.25 s`, `2 min 5 s`, `3 h 10 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `2026-12-05 11:52:38 UTC`: the same on every server, whatever its time zone. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** JSON on one line, cut to `width` characters. */
export function summarize(value: unknown, width = 90): string {
  const text = JSON.stringify(value) ?? "";
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
