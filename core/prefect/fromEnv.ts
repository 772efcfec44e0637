/**
 * @module
 * Builds a {@link PrefectClient} from Prefect's own environment variable names, so a function
 * configured like a Prefect worker (same `PREFECT_API_URL`, `PREFECT_API_KEY`,
 * `PREFECT_API_AUTH_STRING`) needs nothing new.
 */
import { ConfigError } from "../shared/errors.ts";
import { PrefectClient, type PrefectClientOptions } from "./client.ts";

/**
 * Reads `PREFECT_API_URL` (required), `PREFECT_API_KEY`, `PREFECT_API_AUTH_STRING`, and Prefect's
 * optional `PREFECT_CLIENT_MAX_RETRIES` and `PREFECT_API_REQUEST_TIMEOUT` (seconds). Blank values
 * count as unset. `overrides` win over the environment (inject `fetch`, `clock`, `logger`…).
 *
 * @throws ConfigError naming the variable that is missing or malformed (never its value when secret).
 */
export function prefectClientFromEnv(
  env: Record<string, string | undefined>,
  overrides: Partial<PrefectClientOptions> = {},
): PrefectClient {
  const apiUrl = read(env, "PREFECT_API_URL");
  if (apiUrl === undefined && overrides.apiUrl === undefined) {
    throw new ConfigError(
      "PREFECT_API_URL is not set: it must be the Prefect API base URL, e.g. http://host:4200/api",
    );
  }
  if (apiUrl !== undefined) checkApiUrl(apiUrl);
  const options: PrefectClientOptions = { apiUrl: apiUrl ?? "" };
  const apiKey = read(env, "PREFECT_API_KEY");
  if (apiKey !== undefined) options.apiKey = apiKey;
  const authString = read(env, "PREFECT_API_AUTH_STRING");
  if (authString !== undefined) options.authString = authString;
  const maxRetries = readNumber(env, "PREFECT_CLIENT_MAX_RETRIES", true);
  if (maxRetries !== undefined) options.maxRetries = maxRetries;
  const timeout = readNumber(env, "PREFECT_API_REQUEST_TIMEOUT", false);
  if (timeout !== undefined) options.timeoutMs = timeout * 1000;
  return new PrefectClient({ ...options, ...overrides });
}

function read(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function readNumber(
  env: Record<string, string | undefined>,
  name: string,
  integer: boolean,
): number | undefined {
  const text = read(env, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new ConfigError(
      `${name} must be a non-negative ${integer ? "integer" : "number"}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function checkApiUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(
      `PREFECT_API_URL is not a URL${text.includes("@") ? "" : `: ${JSON.stringify(text)}`}`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new ConfigError("PREFECT_API_URL must not carry credentials; set PREFECT_API_AUTH_STRING instead");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`PREFECT_API_URL must be an http(s) URL, got ${JSON.stringify(text)}`);
  }
}
