/**
 * @module
 * The settings that hold secrets in every runtime's environment, and their values for the
 * redactor (core/shared/redact.ts): the Prefect API key and auth string, and the webhook secrets
 * (each `secret` of a `PUSHPOOL_WEBHOOK_KEYS` JSON array too), once they are resolved into their
 * plain names (AWS: functions/aws/secrets.ts fetches them; Azure Key Vault references and GCP
 * Secret Manager mounts arrive resolved).
 */

type Env = Record<string, string | undefined>;

export const SECRET_SETTINGS = [
  "PREFECT_API_KEY",
  "PREFECT_API_AUTH_STRING",
  "PUSHPOOL_WEBHOOK_SECRET",
  "PUSHPOOL_WEBHOOK_KEYS",
] as const;

/** Every secret value present in an environment. */
export function secretSettingValues(env: Env): string[] {
  const values: string[] = [];
  for (const name of SECRET_SETTINGS) {
    const value = env[name];
    if (!value) continue;
    values.push(value);
    if (name === "PUSHPOOL_WEBHOOK_KEYS") values.push(...webhookSecretsIn(value));
  }
  return values;
}

function webhookSecretsIn(json: string): string[] {
  try {
    const keys: unknown = JSON.parse(json);
    if (!Array.isArray(keys)) return [];
    return keys.flatMap((k) =>
      typeof k === "object" && k !== null && typeof (k as { secret?: unknown }).secret === "string"
        ? [(k as { secret: string }).secret]
        : [],
    );
  } catch {
    return [];
  }
}
