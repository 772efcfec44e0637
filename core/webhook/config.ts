/**
 * @module
 * The operator's webhook keys, read from an injected environment map. Either
 *
 * - `PUSHPOOL_WEBHOOK_SECRET` — one secret (key id `default`), any deployment, no job-variable overrides; or
 * - `PUSHPOOL_WEBHOOK_KEYS` — a JSON array of `{id, secret, deployments?, allowJobVariables?}`.
 *
 * The webhook refuses to start without one of them. Error messages name variables, key ids and
 * fields, never secret values (JSON parse errors are not passed on, since they quote the input).
 */
import { z } from "zod";
import { DeploymentRef, formatIssues } from "../runtime/messages.ts";
import { ConfigError } from "../shared/errors.ts";

/** Minimum secret length, in characters. */
export const MIN_SECRET_LENGTH = 16;
/** The key id given to `PUSHPOOL_WEBHOOK_SECRET`. */
export const DEFAULT_KEY_ID = "default";

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const JOB_VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

const Secret = z
  .string()
  .min(MIN_SECRET_LENGTH, { message: `must be at least ${MIN_SECRET_LENGTH} characters` })
  .max(4096, { message: "must be at most 4096 characters" })
  .refine((s) => s === s.trim(), { message: "must not begin or end with whitespace" });

/** One key entry of `PUSHPOOL_WEBHOOK_KEYS`. */
export const WebhookKeySchema = z.strictObject({
  /** Sent by callers in `X-Pushpool-Key-Id`; appears in logs and in the run's `source`. */
  id: z
    .string()
    .regex(KEY_ID, { message: "must be 1-64 characters of A-Z a-z 0-9 . _ - (not starting with . _ -)" }),
  secret: Secret,
  /** Deployments this key may trigger (`flow/deployment` or ids). Absent = all. */
  deployments: z
    .array(DeploymentRef)
    .min(1, { message: "must list at least one deployment (omit the field to allow all)" })
    .optional(),
  /** Top-level job-variable keys this key may override (`image`, `env`…). Absent or empty = none. */
  allowJobVariables: z
    .array(
      z
        .string()
        .regex(JOB_VARIABLE_NAME, { message: "must be a top-level job variable name, e.g. image or env" }),
    )
    .optional(),
});

/** A webhook key as the handler uses it. */
export interface WebhookKey {
  id: string;
  secret: string;
  /** Allowed deployments (exact `flow/deployment` names or ids); `undefined` = all. */
  deployments?: readonly string[];
  /** Top-level job-variable keys callers may override; empty = none. */
  allowJobVariables: readonly string[];
}

const KeyList = z.array(WebhookKeySchema).min(1, { message: "must hold at least one key" });

/**
 * Reads the webhook keys from `env`. Throws a {@link ConfigError} when neither or both variables
 * are set, or when a key is invalid (short secret, duplicate id or secret, bad deployment ref…).
 *
 * @example
 * parseWebhookConfig({ PUSHPOOL_WEBHOOK_KEYS: '[{"id":"ci","secret":"…","deployments":["etl/daily"]}]' })
 */
export function parseWebhookConfig(env: Readonly<Record<string, string | undefined>>): WebhookKey[] {
  const single = env.PUSHPOOL_WEBHOOK_SECRET;
  const multi = env.PUSHPOOL_WEBHOOK_KEYS;
  const hasSingle = single !== undefined && single !== "";
  const hasMulti = multi !== undefined && multi.trim() !== "";
  if (!hasSingle && !hasMulti) {
    throw new ConfigError(
      "the webhook refuses to start without a secret: set PUSHPOOL_WEBHOOK_SECRET or PUSHPOOL_WEBHOOK_KEYS",
    );
  }
  if (hasSingle && hasMulti) {
    throw new ConfigError("set only one of PUSHPOOL_WEBHOOK_SECRET and PUSHPOOL_WEBHOOK_KEYS, not both");
  }
  if (hasSingle) {
    const parsed = Secret.safeParse(single);
    if (!parsed.success) {
      throw new ConfigError(`PUSHPOOL_WEBHOOK_SECRET ${parsed.error.issues[0]?.message ?? "is invalid"}`);
    }
    return [{ id: DEFAULT_KEY_ID, secret: parsed.data, allowJobVariables: [] }];
  }
  return parseKeys(multi as string);
}

function parseKeys(text: string): WebhookKey[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // JSON.parse messages quote the input, which holds secrets: say only what is wrong.
    throw new ConfigError(
      'PUSHPOOL_WEBHOOK_KEYS is not valid JSON: expected an array like [{"id":"ci","secret":"…"}]',
    );
  }
  const parsed = KeyList.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`PUSHPOOL_WEBHOOK_KEYS is invalid: ${formatIssues(parsed.error)}`);
  }
  const ids = new Map<string, number>();
  const secrets = new Map<string, string>();
  for (const [index, key] of parsed.data.entries()) {
    const seen = ids.get(key.id);
    if (seen !== undefined) {
      throw new ConfigError(
        `PUSHPOOL_WEBHOOK_KEYS: key id '${key.id}' appears twice (entries ${seen} and ${index})`,
      );
    }
    ids.set(key.id, index);
    const owner = secrets.get(key.secret);
    if (owner !== undefined) {
      // Two keys with one secret would make the key behind a request ambiguous.
      throw new ConfigError(`PUSHPOOL_WEBHOOK_KEYS: keys '${owner}' and '${key.id}' share the same secret`);
    }
    secrets.set(key.secret, key.id);
  }
  return parsed.data.map((k) => ({
    id: k.id,
    secret: k.secret,
    ...(k.deployments ? { deployments: k.deployments } : {}),
    allowJobVariables: k.allowJobVariables ?? [],
  }));
}
