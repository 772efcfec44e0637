/**
 * @module
 * NCRONTAB, the six-field schedule of Azure Functions timer triggers
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`, UTC): numbers, `*`, ranges `a-b`,
 * steps `*\/n` and `a-b/n`, lists `a,b`, month names JAN–DEC and day names SUN–SAT (0 or 7 =
 * Sunday); a time matches when every field matches (the day and the day of week both). Used to
 * check `PUSHPOOL_CRONS` at start-up and to name the occurrence a timer fired for — the latest
 * matching second at or before a time — so a re-fired timer names the same occurrence.
 */

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: { list: string[]; first: number };
}

const FIELDS: FieldSpec[] = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: { list: MONTHS, first: 1 } },
  { name: "day-of-week", min: 0, max: 7, names: { list: DAYS, first: 0 } },
];

export interface Ncrontab {
  expression: string;
  /** The allowed values of each field, in {@link FIELDS} order (day-of-week 7 folded into 0). */
  sets: Set<number>[];
}

export class NcrontabError extends Error {}

const EXAMPLE = "e.g. '0 */5 * * * *' (every 5 minutes) or '0 0 3 * * MON-FRI'";

/** Parses an expression; throws an {@link NcrontabError} naming the field and the problem. */
export function parseNcrontab(expression: string): Ncrontab {
  const text = expression.trim();
  if (/^\d+(\.\d+)?:\d{2}:\d{2}$/.test(text))
    throw new NcrontabError(`'${text}' is a TimeSpan; pushpool takes NCRONTAB only, ${EXAMPLE}`);
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length !== 6)
    throw new NcrontabError(
      `'${text}' has ${parts.length} fields; NCRONTAB has 6 (second minute hour day month day-of-week), ${EXAMPLE}`,
    );
  const sets = FIELDS.map((spec, i) => {
    try {
      return fieldSet(parts[i] ?? "", spec);
    } catch (error) {
      throw new NcrontabError(`'${text}': ${spec.name} ${(error as Error).message}`);
    }
  });
  const dow = sets[5] as Set<number>;
  if (dow.delete(7)) dow.add(0);
  const schedule = { expression: text, sets };
  if (!latestOccurrence(schedule, new Date(Date.UTC(2030, 0, 1))))
    throw new NcrontabError(`'${text}' never fires (no such date)`);
  return schedule;
}

function value(token: string, spec: FieldSpec): number {
  const named = spec.names?.list.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0 && spec.names) return named + spec.names.first;
  if (!/^\d+$/.test(token)) throw new Error(`'${token}' is not a number${spec.names ? " or a name" : ""}`);
  const n = Number(token);
  if (n < spec.min || n > spec.max) throw new Error(`${n} is outside ${spec.min}-${spec.max}`);
  return n;
}

function fieldSet(field: string, spec: FieldSpec): Set<number> {
  const set = new Set<number>();
  for (const part of field.split(",")) {
    const [range = "", stepText, extra] = part.split("/");
    if (extra !== undefined || range === "") throw new Error(`'${part}' is not a value, range or step`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || !/^\d+$/.test(stepText ?? "1"))
      throw new Error(`'${part}': the step must be a positive integer`);
    let from: number;
    let to: number;
    if (range === "*") [from, to] = [spec.min, spec.max];
    else if (range.includes("-")) {
      const [a = "", b = ""] = range.split("-");
      [from, to] = [value(a, spec), value(b, spec)];
      if (from > to) throw new Error(`'${range}' runs backwards`);
    } else {
      from = value(range, spec);
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) set.add(v);
  }
  return set;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** How far back an occurrence is looked for (a Feb 29 schedule fires every 4 years). */
const LOOKBACK_MS = 5 * 366 * DAY;

/** The latest matching second at or before `at` (UTC), or null when none in 5 years. */
export function latestOccurrence(schedule: Ncrontab, at: Date): Date | null {
  const [seconds, minutes, hours, days, months, weekdays] = schedule.sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const limit = at.getTime() - LOOKBACK_MS;
  let t = Math.floor(at.getTime() / SECOND) * SECOND;
  while (t >= limit) {
    const d = new Date(t);
    if (!months.has(d.getUTCMonth() + 1)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - SECOND;
      continue;
    }
    if (!days.has(d.getUTCDate()) || !weekdays.has(d.getUTCDay())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - SECOND;
      continue;
    }
    if (!hours.has(d.getUTCHours())) {
      t = t - (t % HOUR) - SECOND;
      continue;
    }
    if (!minutes.has(d.getUTCMinutes())) {
      t = t - (t % MINUTE) - SECOND;
      continue;
    }
    for (let s = d.getUTCSeconds(); s >= 0; s--)
      if (seconds.has(s)) return new Date(t - (d.getUTCSeconds() - s) * SECOND);
    t = t - (t % MINUTE) - SECOND;
  }
  return null;
}
