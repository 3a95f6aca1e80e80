/**
 * Turns a workflow's schedule into an EventBridge Scheduler expression. The workflow model
 * keeps `rate(…)`/`cron(…)` as written and normalises plain crons to 5 fields (UTC); Scheduler
 * wants its own 6-field `cron(minutes hours day-of-month month day-of-week year)`, where one
 * of the two day fields must be `?` and weekdays count 1–7 from Sunday.
 */
import { parseSchedule } from "../src/workflow/schedule.js";

export interface ScheduleSpec {
  /** As written in the workflow. */
  readonly expression: string;
  /** The normalised 5-field cron (UTC), when it is one. */
  readonly cron?: string;
  readonly rateMs?: number;
}

/** The EventBridge form of a schedule; throws with the reason when there is none. */
export function eventBridgeExpression(spec: ScheduleSpec): string {
  const written = spec.expression.trim();
  if (/^(rate|cron)\(.*\)$/.test(written)) return written;
  if (spec.rateMs !== undefined) return rateExpression(spec.rateMs);
  if (spec.cron !== undefined) return cronExpression(spec.cron);
  throw new Error(`schedule "${spec.expression}" has neither a cron nor a rate`);
}

/** Parses a schedule as the workflow language does, then converts it. */
export function eventBridgeExpressionOf(expression: string): string {
  const parsed = parseSchedule(expression);
  if ("error" in parsed) throw new Error(`schedule "${expression}": ${parsed.error}`);
  return eventBridgeExpression({ expression, ...parsed });
}

function rateExpression(rateMs: number): string {
  const minutes = rateMs / 60_000;
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new Error(`a rate of ${rateMs} ms is not a whole number of minutes`);
  }
  const [amount, unit] =
    minutes % 1440 === 0
      ? [minutes / 1440, "day"]
      : minutes % 60 === 0
        ? [minutes / 60, "hour"]
        : [minutes, "minute"];
  return `rate(${amount} ${unit}${amount === 1 ? "" : "s"})`;
}

function cronExpression(cron: string): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new Error(
      `cron "${cron}" does not have 5 fields (minute hour day-of-month month day-of-week)`,
    );
  }
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const anyDom = dom === "*" || dom === "?";
  const anyDow = dow === "*" || dow === "?";
  if (!anyDom && !anyDow) {
    // Cron fires when either day field matches; EventBridge cannot say "either".
    throw new Error(
      `cron "${cron}" restricts both day-of-month and day-of-week, which EventBridge cannot express; write one schedule per day field`,
    );
  }
  const days = anyDow ? [anyDom ? "*" : dom, "?"] : ["?", eventBridgeWeekdays(dow)];
  return `cron(${[minute, hour, days[0], month, days[1], "*"].join(" ")})`;
}

/** Cron counts weekdays 0–6 (7 is Sunday again) from Sunday; EventBridge counts 1–7. */
function eventBridgeWeekdays(field: string): string {
  return field
    .split(",")
    .flatMap((item) => {
      // `a-b/step`, `aL` (last a of the month), `a#n` (n-th a): only the weekday numbers move.
      const match = /^(\d)(?:-(\d))?(L|#\d)?(\/\d+)?$/.exec(item);
      if (!match) return [item];
      const [, from, to, suffix = "", step = ""] = match;
      const shift = (n: string) => String((Number(n) % 7) + 1);
      if (to === undefined) return [`${shift(from as string)}${suffix}${step}`];
      // A range ending on Sunday written as 7 (`5-7`) would wrap around in EventBridge.
      if (to === "7" && from === "0") return [`1-7${step}`];
      if (to === "7" && step === "") return [`${shift(from as string)}-7`, "1"];
      return [`${shift(from as string)}-${shift(to)}${suffix}${step}`];
    })
    .join(",");
}
