/**
 * @module
 * `PUSHPOOL_CRONS`: the Function App's cron entries, a JSON array of
 * `{name, schedule, deployment, parameters?, jobVariables?}` — one timer trigger each (`name` is its
 * function name: `cron-<name>`), `schedule` in NCRONTAB (./ncrontab.ts, UTC), `deployment` as
 * `flow/deployment` or an id. Checked with zod at start-up: a bad entry is a {@link ConfigError}
 * naming its index, field and problem.
 */
import { z } from "zod";
import { DeploymentRef, formatIssues } from "../../core/runtime/messages.ts";
import { ConfigError } from "../../core/shared/errors.ts";
import { parseJson } from "../../core/template/pyFloat.ts";
import { type Ncrontab, NcrontabError, parseNcrontab } from "./ncrontab.ts";

const Schedule = z.string().transform((text, ctx) => {
  try {
    return parseNcrontab(text);
  } catch (error) {
    if (!(error instanceof NcrontabError)) throw error;
    ctx.addIssue({ code: "custom", message: error.message });
    return z.NEVER;
  }
});

export const CronEntry = z.strictObject({
  /** A function name: letters, digits, `-` and `_`, starting with a letter. */
  name: z
    .string()
    .regex(
      /^[A-Za-z][A-Za-z0-9_-]{0,100}$/,
      "must start with a letter, then letters, digits, '-' or '_' (≤ 101)",
    ),
  schedule: Schedule,
  deployment: DeploymentRef,
  parameters: z.record(z.string(), z.unknown()).optional(),
  jobVariables: z.record(z.string(), z.unknown()).optional(),
});
export type CronEntry = Omit<z.infer<typeof CronEntry>, "schedule"> & { schedule: Ncrontab };

const CronList = z.array(CronEntry).superRefine((entries, ctx) => {
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    const key = entry.name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined)
      ctx.addIssue({
        code: "custom",
        path: [i, "name"],
        message: `'${entry.name}' is also entry ${first}'s name`,
      });
    else seen.set(key, i);
  });
});

/** The cron entries of an environment (none when `PUSHPOOL_CRONS` is unset or blank). */
export function parseCrons(env: Record<string, string | undefined>): CronEntry[] {
  const text = env.PUSHPOOL_CRONS?.trim();
  if (!text) return [];
  let raw: unknown;
  try {
    // Floats stay floats (1.0 reaches Prefect as 1.0), as in every message core parses.
    raw = parseJson(text);
  } catch (error) {
    throw new ConfigError(`PUSHPOOL_CRONS is not JSON: ${(error as Error).message}`);
  }
  const parsed = CronList.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`PUSHPOOL_CRONS: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** The function name of a cron entry's timer. */
export const cronFunctionName = (entry: { name: string }) => `cron-${entry.name}`;
