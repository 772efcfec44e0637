/**
 * @module
 * Secrets read once per cold start, so they never sit in a function's plain configuration.
 * Each secret pushpool needs can come from (first match wins):
 *
 * | secret | Secrets Manager (SecretString) | SSM SecureString | plain env (local runs) |
 * |---|---|---|---|
 * | Prefect API key | `PUSHPOOL_PREFECT_API_KEY_SECRET_ARN` | `PUSHPOOL_PREFECT_API_KEY_SSM_PARAMETER` | `PREFECT_API_KEY` |
 * | Prefect auth string | `PUSHPOOL_PREFECT_AUTH_STRING_SECRET_ARN` | `PUSHPOOL_PREFECT_AUTH_STRING_SSM_PARAMETER` | `PREFECT_API_AUTH_STRING` |
 * | webhook keys | `PUSHPOOL_WEBHOOK_KEYS_SECRET_ARN` (a JSON array → keys, else one secret) | `PUSHPOOL_WEBHOOK_KEYS_SSM_PARAMETER` (same) | `PUSHPOOL_WEBHOOK_KEYS` / `PUSHPOOL_WEBHOOK_SECRET` |
 *
 * {@link resolveSecrets} returns a copy of the environment with the plain names filled in, which
 * core's `loadConfig`, `prefectClientFromEnv` and `parseWebhookConfig` then read. The Secrets Manager
 * ARNs are also handed to the ECS backend, so containers get the key as an ECS secret reference.
 * Reads go through Powertools Parameters (SDK clients honour `AWS_ENDPOINT_URL`, e.g. moto in tests).
 */
import { ConfigError, describeError } from "../../core/shared/errors.ts";

type Env = Record<string, string | undefined>;

interface SecretSource {
  /** The plain variable core reads. */
  target: string;
  secretArn: string;
  ssmParameter: string;
  /** Where a JSON array goes instead of `target` (webhook keys). */
  jsonTarget?: string;
}

const SOURCES: readonly SecretSource[] = [
  {
    target: "PREFECT_API_KEY",
    secretArn: "PUSHPOOL_PREFECT_API_KEY_SECRET_ARN",
    ssmParameter: "PUSHPOOL_PREFECT_API_KEY_SSM_PARAMETER",
  },
  {
    target: "PREFECT_API_AUTH_STRING",
    secretArn: "PUSHPOOL_PREFECT_AUTH_STRING_SECRET_ARN",
    ssmParameter: "PUSHPOOL_PREFECT_AUTH_STRING_SSM_PARAMETER",
  },
  {
    target: "PUSHPOOL_WEBHOOK_SECRET",
    jsonTarget: "PUSHPOOL_WEBHOOK_KEYS",
    secretArn: "PUSHPOOL_WEBHOOK_KEYS_SECRET_ARN",
    ssmParameter: "PUSHPOOL_WEBHOOK_KEYS_SSM_PARAMETER",
  },
];

/** Names of every variable that may hold a secret value (for the log redactor). */

/**
 * The environment with secrets fetched from Secrets Manager / SSM into their plain names. Only
 * loads the Powertools providers (and SDK clients) when a reference is configured.
 * @throws ConfigError naming the variable whose secret could not be read (never the value).
 */
export async function resolveSecrets(env: Env): Promise<Env> {
  const out: Env = { ...env };
  await Promise.all(
    SOURCES.map(async (source) => {
      const arn = env[source.secretArn]?.trim();
      const parameter = env[source.ssmParameter]?.trim();
      if (!arn && !parameter) return;
      const from = arn ? source.secretArn : source.ssmParameter;
      let value: string | undefined;
      try {
        value = arn ? await readSecret(arn) : await readParameter(parameter as string);
      } catch (error) {
        throw new ConfigError(`could not read the secret named by ${from}: ${describeError(error)}`);
      }
      if (!value) throw new ConfigError(`the secret named by ${from} is empty or not a string`);
      const isJsonArray = value.trimStart().startsWith("[");
      const target = source.jsonTarget && isJsonArray ? source.jsonTarget : source.target;
      // The fetched value replaces any plain one (core refuses both webhook variables at once).
      if (source.jsonTarget) delete out[target === source.target ? source.jsonTarget : source.target];
      out[target] = value;
    }),
  );
  return out;
}

async function readSecret(id: string): Promise<string | undefined> {
  const { getSecret } = await import("@aws-lambda-powertools/parameters/secrets");
  const value = await getSecret(id, { maxAge: 300 });
  return typeof value === "string" ? value : undefined;
}

async function readParameter(name: string): Promise<string | undefined> {
  const { getParameter } = await import("@aws-lambda-powertools/parameters/ssm");
  return await getParameter(name, { decrypt: true, maxAge: 300 });
}
