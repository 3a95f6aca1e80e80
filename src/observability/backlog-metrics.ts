/**
 * The backlog metrics of the `api` Lambda in Prometheus text. Written by hand rather than with
 * prom-client: three series do not justify ~60 KB in a bundle held to 500 KB.
 */

export interface BacklogSample {
  /** Tasks waiting in the step queue; omitted when unknown. */
  readonly depth: number | undefined;
  readonly bound: number | undefined;
  /** Run requests this instance refused, by reason. */
  readonly refused: ReadonlyMap<string, number>;
}

export const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

/**
 * @example
 * backlogExposition({ depth: 12, bound: 10, refused: new Map([["overloaded", 3]]) })
 * // # HELP maestro_queue_depth …\nmaestro_queue_depth 12\n…
 */
export function backlogExposition(sample: BacklogSample): string {
  const lines: string[] = [];
  const series = (name: string, type: string, help: string, values: readonly string[]) => {
    if (values.length === 0) return;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...values);
  };
  series(
    "maestro_queue_depth",
    "gauge",
    "Tasks waiting in the step queue, where known",
    sample.depth === undefined ? [] : [`maestro_queue_depth ${sample.depth}`],
  );
  series(
    "maestro_backlog_bound",
    "gauge",
    "Tasks that may wait before new runs are refused",
    sample.bound === undefined ? [] : [`maestro_backlog_bound ${sample.bound}`],
  );
  series(
    "maestro_runs_refused_total",
    "counter",
    "Run requests refused with 429 by this instance",
    [...sample.refused].map(([reason, n]) => `maestro_runs_refused_total{reason="${reason}"} ${n}`),
  );
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
