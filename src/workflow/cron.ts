/**
 * Five-field cron expressions in UTC (minute hour day-of-month month day-of-week), with the
 * extensions EventBridge schedules use: `?`, `L` and `nW`/`LW` in the day of the month,
 * `nL` (the last such weekday) and `n#k` (the k-th) in the day of the week, and names
 * (`JAN`, `MON`). When both day fields are restricted, a day matching either fires (as in
 * Vixie cron). Small on purpose: it is in every Lambda bundle.
 */

/** The values a field allows. */
type Mask = ReadonlySet<number>;

export interface CronSpec {
  readonly minutes: Mask;
  readonly hours: Mask;
  readonly months: Mask; // 1–12
  readonly days: DaySpec;
  readonly weekdays: WeekdaySpec;
  readonly daysRestricted: boolean;
  readonly weekdaysRestricted: boolean;
}

interface DaySpec {
  readonly dates: Mask; // 1–31
  readonly last: boolean; // L
  readonly lastWeekday: boolean; // LW
  readonly nearestWeekday: Mask; // nW
}

interface WeekdaySpec {
  readonly days: Mask; // 0–6, Sunday 0
  readonly last: Mask; // nL and n#L
  readonly nth: readonly (readonly [weekday: number, k: number])[]; // n#k
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** The largest step: the number of values the field can take (day-of-week: 7). */
  readonly maxStep: number;
  readonly names?: readonly string[];
  readonly namesFrom?: number;
}

const MINUTE: Field = { name: "minute", min: 0, max: 59, maxStep: 60 };
const HOUR: Field = { name: "hour", min: 0, max: 23, maxStep: 24 };
const DAY: Field = { name: "day-of-month", min: 1, max: 31, maxStep: 31 };
const MONTH: Field = { name: "month", min: 1, max: 12, maxStep: 12, names: MONTHS, namesFrom: 1 };
const WEEKDAY: Field = {
  name: "day-of-week",
  min: 0,
  max: 7,
  maxStep: 7,
  names: WEEKDAYS,
  namesFrom: 0,
};

class CronSyntaxError extends Error {}

function fail(message: string): never {
  throw new CronSyntaxError(message);
}

function value(text: string, field: Field): number {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + (field.namesFrom ?? 0);
  if (!/^\d+$/.test(text)) fail(`${field.name}: "${text}" is not a number`);
  const n = Number(text);
  if (n < field.min || n > field.max) {
    fail(`${field.name}: ${n} is outside ${field.min}–${field.max}`);
  }
  return n;
}

/** `*`, `a`, `a-b`, `*\/s` or `a-b/s` as the list of values it names. */
function range(text: string, field: Field): number[] {
  const [span = "", stepText, extra] = text.split("/");
  if (extra !== undefined || span === "") fail(`${field.name}: "${text}" is not a range`);
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
      fail(`${field.name}: the step in "${text}" must be a whole number of at least 1`);
    }
    step = Number(stepText);
    if (step > field.maxStep) {
      fail(`${field.name}: the step in "${text}" is larger than the field`);
    }
    if (span !== "*" && !span.includes("-")) {
      fail(`${field.name}: write "*/${step}" or "a-b/${step}", not "${text}"`);
    }
  }
  let from = field.min;
  let to = field.max;
  if (span !== "*") {
    const [a = "", b] = span.split("-", 2);
    from = value(a, field);
    to = b === undefined ? from : value(b, field);
    // FRI-SUN: Sunday closing a range is day 7, so the range runs forwards.
    if (field === WEEKDAY && b?.toUpperCase() === "SUN") to = 7;
    if (from > to) fail(`${field.name}: "${span}" runs backwards`);
  }
  const values: number[] = [];
  for (let n = from; n <= to; n += step) values.push(n);
  return values;
}

const mask = (values: Iterable<number>): Mask => new Set(values);

function addAll(into: Set<number>, values: Iterable<number>, map = (n: number) => n): void {
  for (const n of values) into.add(map(n));
}

function plain(text: string, field: Field): Mask {
  if (text === "?") fail(`${field.name}: "?" is only for the day fields`);
  return mask(text.split(",").flatMap((item) => range(item, field)));
}

function days(text: string): DaySpec {
  const dates = new Set<number>();
  const nearestWeekday = new Set<number>();
  if (text === "LW") return { dates, last: false, lastWeekday: true, nearestWeekday };
  let last = false;
  for (const item of text.split(",")) {
    if (item === "?") addAll(dates, range("*", DAY));
    else if (item === "L") last = true;
    else if (item === "LW") fail(`${DAY.name}: "LW" must be the field's only value`);
    else if (item.endsWith("W")) nearestWeekday.add(value(item.slice(0, -1), DAY));
    else addAll(dates, range(item, DAY));
  }
  return { dates, last, lastWeekday: false, nearestWeekday };
}

function weekdays(text: string): WeekdaySpec {
  const days = new Set<number>();
  const last = new Set<number>();
  const nth: [number, number][] = [];
  const sunday = (n: number) => n % 7; // 7 is Sunday too
  for (const item of text.split(",")) {
    if (item === "?") addAll(days, range("*", WEEKDAY), sunday);
    else if (/^[^/#]+L$/i.test(item)) last.add(sunday(value(item.slice(0, -1), WEEKDAY)));
    else if (item.includes("#")) {
      const [span = "", k = ""] = item.split("#");
      if (!/^([1-5]|L)$/i.test(k)) fail(`${WEEKDAY.name}: "#${k}" must be #1–#5 or #L`);
      for (const day of range(span, WEEKDAY)) {
        if (k.toUpperCase() === "L") last.add(sunday(day));
        else nth.push([sunday(day), Number(k)]);
      }
    } else addAll(days, range(item, WEEKDAY), sunday);
  }
  return { days, last, nth };
}

/** Parses a five-field cron expression, or returns the reason it is not one. */
export function parseCron(text: string): CronSpec | { readonly error: string } {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5) return { error: `expected 5 fields, got ${fields.length}` };
  const [minute = "", hour = "", day = "", month = "", weekday = ""] = fields;
  try {
    for (const f of fields) {
      if (!/^[\w*?,/#-]+$/.test(f)) fail(`"${f}" contains characters cron does not use`);
    }
    const unrestricted = (f: string) => f === "*" || f === "?";
    return {
      minutes: plain(minute, MINUTE),
      hours: plain(hour, HOUR),
      months: plain(month, MONTH),
      days: days(day),
      weekdays: weekdays(weekday),
      daysRestricted: !unrestricted(day),
      weekdaysRestricted: !unrestricted(weekday),
    };
  } catch (error) {
    if (error instanceof CronSyntaxError) return { error: error.message };
    throw error;
  }
}

const has = (m: Mask, n: number) => m.has(n);
const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const weekdayOf = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay();

/** The weekday closest to `day` in the same month (Saturday → Friday, Sunday → Monday). */
function nearestWeekday(year: number, month: number, day: number, length: number): number {
  const wd = weekdayOf(year, month, day);
  if (wd === 6) return day === 1 ? 3 : day - 1;
  if (wd === 0) return day === length ? day - 2 : day + 1;
  return day;
}

function dateMatches(d: DaySpec, year: number, month: number, day: number, length: number) {
  if (has(d.dates, day) || (d.last && day === length)) return true;
  if (d.lastWeekday) return day === nearestWeekday(year, month, length, length);
  for (const target of d.nearestWeekday) {
    if (target <= length && nearestWeekday(year, month, target, length) === day) return true;
  }
  return false;
}

function weekdayMatches(w: WeekdaySpec, wd: number, day: number, length: number) {
  if (has(w.days, wd) || (has(w.last, wd) && day + 7 > length)) return true;
  return w.nth.some(([nthDay, k]) => nthDay === wd && Math.ceil(day / 7) === k);
}

function dayMatches(spec: CronSpec, year: number, month: number, day: number): boolean {
  const length = daysIn(year, month);
  const byDate = () => dateMatches(spec.days, year, month, day, length);
  const byWeekday = () => weekdayMatches(spec.weekdays, weekdayOf(year, month, day), day, length);
  if (spec.daysRestricted && spec.weekdaysRestricted) return byDate() || byWeekday();
  if (spec.weekdaysRestricted) return byWeekday();
  return byDate();
}

const lowest = (m: Mask, from: number, to: number) => {
  for (let n = from; n <= to; n++) if (has(m, n)) return n;
  return undefined;
};

/** Years searched before a schedule is declared never to fire (29 February waits 8 years). */
const HORIZON_YEARS = 30;

/** The first minute strictly after `afterMs` that the expression names, or undefined. */
export function nextCron(spec: CronSpec, afterMs: number): number | undefined {
  const start = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  const firstYear = start.getUTCFullYear();
  for (let year = firstYear; year < firstYear + HORIZON_YEARS; year++) {
    const sameYear = year === firstYear;
    for (let month = sameYear ? start.getUTCMonth() + 1 : 1; month <= 12; month++) {
      if (!has(spec.months, month)) continue;
      const sameMonth = sameYear && month === start.getUTCMonth() + 1;
      for (let day = sameMonth ? start.getUTCDate() : 1; day <= daysIn(year, month); day++) {
        if (!dayMatches(spec, year, month, day)) continue;
        const sameDay = sameMonth && day === start.getUTCDate();
        const hourFrom = sameDay ? start.getUTCHours() : 0;
        for (let hour = lowest(spec.hours, hourFrom, 23); hour !== undefined; ) {
          const minuteFrom = sameDay && hour === start.getUTCHours() ? start.getUTCMinutes() : 0;
          const minute = lowest(spec.minutes, minuteFrom, 59);
          if (minute !== undefined) return Date.UTC(year, month - 1, day, hour, minute);
          hour = lowest(spec.hours, hour + 1, 23);
        }
      }
    }
  }
  return undefined;
}
