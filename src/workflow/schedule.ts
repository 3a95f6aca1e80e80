/**
 * Schedule expressions: EventBridge's `rate(5 minutes)` and `cron(0 12 * * ? *)`, or a plain
 * 5-field cron (`*\/5 * * * *`). Everything is normalised to a 5-field cron (UTC) or a rate,
 * which both the local scheduler and the CDK stack understand.
 */
import { nextCron, parseCron } from "./cron.js";

export type Schedule = { readonly cron: string } | { readonly rateMs: number };

const RATE = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/;
const RATE_UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** EventBridge numbers weekdays 1–7 from Sunday; cron numbers them 0–6. */
function shiftWeekdays(field: string): string {
  return field.replace(/\d+/g, (digits) => String((Number(digits) + 6) % 7));
}

/** Parses a schedule expression, or returns the reason it is not one. */
export function parseSchedule(expression: string): Schedule | { readonly error: string } {
  const text = expression.trim();
  const rate = RATE.exec(text);
  if (rate) {
    const amount = Number(rate[1]);
    const unit = (rate[2] ?? "").replace(/s$/, "") as keyof typeof RATE_UNIT_MS;
    if (amount < 1) return { error: "rate must be at least 1" };
    if ((amount === 1) !== !rate[2]?.endsWith("s")) {
      return { error: `write "rate(1 ${unit})" for one and "rate(N ${unit}s)" for more` };
    }
    return { rateMs: amount * RATE_UNIT_MS[unit] };
  }
  let fields: string[];
  if (text.startsWith("cron(")) {
    if (!text.endsWith(")")) return { error: "cron( has no closing parenthesis" };
    fields = text.slice(5, -1).trim().split(/\s+/);
    if (fields.length !== 6) {
      return {
        error: `cron() takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
      };
    }
    const [minute, hour, dom, month, dow, year] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (year !== "*") return { error: "only * is supported in the year field" };
    fields = [minute, hour, dom, month, /[A-Za-z]/.test(dow) ? dow : shiftWeekdays(dow)];
  } else {
    fields = text.split(/\s+/);
    if (fields.length !== 5) {
      return {
        error: `expected rate(…), cron(…) or a 5-field cron expression (minute hour day-of-month month day-of-week), got ${fields.length} fields`,
      };
    }
  }
  const cron = fields.join(" ");
  const spec = parseCron(cron);
  if ("error" in spec) return { error: `invalid cron expression: ${spec.error}` };
  if (nextCron(spec, 0) === undefined) return { error: "this cron expression never fires" };
  return { cron };
}

/** The next time a schedule fires strictly after `afterMs`. */
export function nextFire(schedule: Schedule, afterMs: number, anchorMs = 0): number | undefined {
  if ("rateMs" in schedule) {
    const periods = Math.floor((afterMs - anchorMs) / schedule.rateMs) + 1;
    return anchorMs + periods * schedule.rateMs;
  }
  const spec = parseCron(schedule.cron);
  return "error" in spec ? undefined : nextCron(spec, afterMs);
}
