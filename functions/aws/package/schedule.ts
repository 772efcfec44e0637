/**
 * @module
 * EventBridge Scheduler schedule expressions, checked offline before a deploy: `cron(…)` with its
 * six fields, `rate(…)` and one-time `at(…)`, following the rules of the Scheduler user guide
 * ("Schedule types on EventBridge Scheduler"). Returns what is wrong, in words a person acts on, or
 * null when the expression is valid.
 */

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Special forms allowed besides numbers, ranges, lists and steps. */
  special: RegExp | null;
  question: boolean;
}

const FIELDS: Field[] = [
  { name: "minutes", min: 0, max: 59, special: null, question: false },
  { name: "hours", min: 0, max: 23, special: null, question: false },
  { name: "day-of-month", min: 1, max: 31, special: /^(L|LW|\d{1,2}W)$/, question: true },
  { name: "month", min: 1, max: 12, names: MONTHS, special: null, question: false },
  { name: "day-of-week", min: 1, max: 7, names: DAYS, special: /^(L|[1-7]L|[1-7]#[1-5])$/, question: true },
  { name: "year", min: 1970, max: 2199, special: null, question: false },
];

const EXAMPLES = "cron(0 3 * * ? *), rate(5 minutes) or at(2027-01-31T03:00:00)";

export function scheduleProblem(expression: string): string | null {
  const form = /^(cron|rate|at)\((.*)\)$/.exec(expression.trim());
  if (!form) return `'${expression}' is not an EventBridge schedule; write ${EXAMPLES}`;
  const [, kind, body = ""] = form;
  if (kind === "rate") return rateProblem(body.trim());
  if (kind === "at") return atProblem(body.trim());
  return cronProblem(body.trim());
}

function rateProblem(body: string): string | null {
  const m = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(body);
  if (!m) return `rate(${body}) must be rate(<positive integer> minutes|hours|days), e.g. rate(5 minutes)`;
  const value = Number(m[1]);
  const unit = m[2] ?? "";
  if (value < 1) return `rate(${body}): the value must be at least 1`;
  const plural = unit.endsWith("s");
  if (value === 1 && plural)
    return `rate(${body}): with 1 the unit is singular: rate(1 ${unit.slice(0, -1)})`;
  if (value > 1 && !plural) return `rate(${body}): with ${value} the unit is plural: rate(${value} ${unit}s)`;
  return null;
}

function atProblem(body: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  const date = m ? new Date(`${body}Z`) : null;
  if (!m || !date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 19) !== body)
    return `at(${body}) must be at(yyyy-mm-ddThh:mm:ss), a real date and time without a zone (set timezone)`;
  return null;
}

function cronProblem(body: string): string | null {
  const parts = body.split(/\s+/).filter(Boolean);
  if (parts.length !== 6)
    return `cron(${body}) has ${parts.length} fields; EventBridge takes 6 (minutes hours day-of-month month day-of-week year), e.g. cron(0 3 * * ? *)`;
  for (const [i, field] of FIELDS.entries()) {
    const problem = fieldProblem(parts[i] ?? "", field);
    if (problem) return `cron(${body}): ${field.name} ${problem}`;
  }
  const [dayOfMonth, dayOfWeek] = [parts[2], parts[4]];
  if ((dayOfMonth === "?") === (dayOfWeek === "?"))
    return `cron(${body}): exactly one of day-of-month and day-of-week must be '?', e.g. cron(0 3 * * ? *) or cron(0 3 ? * MON-FRI *)`;
  return null;
}

function fieldProblem(value: string, field: Field): string | null {
  const range = `${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : ""}`;
  if (value === "?") return field.question ? null : "cannot be '?' (only day-of-month or day-of-week can)";
  for (const part of value.split(",")) {
    if (part === "*") continue;
    if (field.special?.test(part)) continue;
    const step = /^(.+)\/(\d+)$/.exec(part);
    const base = step ? (step[1] ?? "") : part;
    if (step && Number(step[2]) < 1) return `'${value}': a step must be at least 1`;
    if (step && base === "*") continue;
    const bounds = base.split("-");
    if (bounds.length > 2) return `'${value}' is not a value, range or list (${range})`;
    for (const bound of bounds)
      if (numberOf(bound, field) === null) return `'${value}': '${bound}' is not in ${range}`;
  }
  return null;
}

function numberOf(token: string, field: Field): number | null {
  const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(token)) return null;
  const n = Number(token);
  return n >= field.min && n <= field.max ? n : null;
}
