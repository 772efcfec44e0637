/**
 * @module
 * The typed view of a rendered `cloud-run-v2` job configuration, each field read the way Prefect's
 * `CloudRunWorkerJobV2Configuration` (pydantic, lax mode) reads it, with its validators' wording:
 * `job_body` must hold `template.template.containers` (a list); `timeout` an integer in
 * 1..604800; secrets `{secret, version}` strings. Errors are InvalidJobConfigurationErrors naming
 * the field. Never echoes a secret's value.
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { Json } from "../../prefect/types.ts";
import { InvalidJobConfigurationError } from "../../shared/errors.ts";
import { laxBool } from "../../shared/fields.ts";
import { isPlainObject, type PlainObject, plain } from "../../shared/plain.ts";
import { isPyFloat } from "../../template/pyFloat.ts";
import { isPyInt } from "../../template/pyInt.ts";
import { readGcpCredentials } from "./credentials.ts";
import type { GcpCredentialsData } from "./port.ts";

/** A Secret Manager reference, as Cloud Run's `SecretKeySelector` takes it. */
export interface SecretKeySelector {
  secret: string;
  version: string;
}

export interface CloudRunSettings {
  jobBody: PlainObject;
  credentials: GcpCredentialsData | null;
  envFromSecrets: Record<string, SecretKeySelector>;
  apiKeySecret: SecretKeySelector | null;
  authStringSecret: SecretKeySelector | null;
  cloudsqlInstances: string[];
  keepJob: boolean;
  region: string;
  timeout: number;
}

export const DEFAULT_REGION = "us-central1";
export const DEFAULT_TIMEOUT = 600;
export const MAX_TIMEOUT = 604_800;

function invalid(field: string, message: string): InvalidJobConfigurationError {
  return new InvalidJobConfigurationError(`${field}: ${message}`);
}

function field(config: JobConfiguration, key: string): Json | undefined {
  return Object.hasOwn(config, key) ? config[key] : undefined;
}

function selector(value: Json | undefined, path: string): SecretKeySelector {
  if (!isPlainObject(value))
    throw invalid(path, "Input should be a valid dictionary or instance of SecretKeySelector");
  const out: Partial<SecretKeySelector> = {};
  for (const key of ["secret", "version"] as const) {
    const v = Object.hasOwn(value, key) ? value[key] : undefined;
    if (v === undefined) throw invalid(`${path}.${key}`, "Field required");
    if (typeof v !== "string") throw invalid(`${path}.${key}`, "Input should be a valid string");
    out[key] = v;
  }
  return out as SecretKeySelector;
}

/** pydantic's lax int: integers, integral floats, integer strings (surrounding whitespace allowed). */
function laxInt(value: Json | undefined): number | undefined {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (isPyInt(value)) return Number(value.value);
  const n = isPyFloat(value) ? value.value : value;
  if (typeof n === "number") return Number.isInteger(n) ? n : undefined;
  if (typeof n === "string" && /^\s*[+-]?\d+(_\d+)*\s*$/.test(n)) return Number(n.replaceAll("_", ""));
  return undefined;
}

function readTimeout(config: JobConfiguration): number {
  const raw = field(config, "timeout");
  if (raw === undefined) return DEFAULT_TIMEOUT;
  const n = laxInt(raw);
  if (n === undefined) throw invalid("timeout", "Input should be a valid integer");
  if (n <= 0) throw invalid("timeout", "Input should be greater than 0");
  if (n > MAX_TIMEOUT) throw invalid("timeout", `Input should be less than or equal to ${MAX_TIMEOUT}`);
  return n;
}

/** `job_body` must be a dict holding `template.template.containers` as a list (Prefect's two validators). */
function readJobBody(config: JobConfiguration): PlainObject {
  const raw = field(config, "job_body");
  if (raw === undefined) throw invalid("job_body", "Field required");
  if (!isPlainObject(raw)) throw invalid("job_body", "Input should be a valid dictionary");
  const body = plain(raw) as PlainObject;
  const missing: string[] = [];
  const incompatible: string[] = [];
  let node: unknown = body;
  let path = "";
  for (const [key, base] of [
    ["template", "{'template': {'containers': []}}"],
    ["template", "{'containers': []}"],
    ["containers", "[]"],
  ] as const) {
    path = `${path}/${key}`;
    const parent = node as PlainObject;
    if (!Object.hasOwn(parent, key)) {
      missing.push(path);
      break;
    }
    node = parent[key];
    const wantList = key === "containers";
    if (wantList ? !Array.isArray(node) : !isPlainObject(node)) {
      incompatible.push(`${path} must have value ${base}`);
      break;
    }
  }
  if (missing.length > 0)
    throw invalid("job_body", `Job body is missing required components: ${missing.join(", ")}`);
  if (incompatible.length > 0)
    throw invalid(
      "job_body",
      `Job has incompatible values for the following attributes: ${incompatible.join(", ")}`,
    );
  const containers = node as unknown[];
  if (containers.length === 0 || !isPlainObject(containers[0]))
    throw invalid(
      "job_body",
      "template.template.containers needs a first container (an object) to run the flow in",
    );
  return body;
}

export function readCloudRunSettings(config: JobConfiguration): CloudRunSettings {
  const jobBody = readJobBody(config);
  const creds = field(config, "credentials");
  const credentials = isPlainObject(creds) ? (plain(creds) as GcpCredentialsData) : null;
  if (creds !== undefined && creds !== null && !credentials)
    throw invalid("credentials", "Input should be a valid dictionary or instance of GcpCredentials");
  readGcpCredentials(credentials); // refuses a bad block before anything is sent

  const secretsRaw = field(config, "env_from_secrets");
  if (secretsRaw !== undefined && !isPlainObject(secretsRaw))
    throw invalid("env_from_secrets", "Input should be a valid dictionary");
  const envFromSecrets: Record<string, SecretKeySelector> = {};
  for (const [name, value] of Object.entries(secretsRaw ?? {}))
    envFromSecrets[name] = selector(value as Json, `env_from_secrets.${name}`);

  const optionalSelector = (key: string) => {
    const value = field(config, key);
    return value === undefined || value === null ? null : selector(value, key);
  };

  const sql = field(config, "cloudsql_instances");
  let cloudsqlInstances: string[] = [];
  if (sql !== undefined && sql !== null) {
    if (!Array.isArray(sql)) throw invalid("cloudsql_instances", "Input should be a valid list");
    cloudsqlInstances = sql.map((item, i) => {
      if (typeof item !== "string")
        throw invalid(`cloudsql_instances.${i}`, "Input should be a valid string");
      return item;
    });
  }

  const keepRaw = field(config, "keep_job");
  const keepJob = keepRaw === undefined ? false : laxBool(keepRaw);
  if (keepJob === undefined) throw invalid("keep_job", "Input should be a valid boolean");

  const regionRaw = field(config, "region");
  if (regionRaw !== undefined && typeof regionRaw !== "string")
    throw invalid("region", "Input should be a valid string");

  return {
    jobBody,
    credentials,
    envFromSecrets,
    apiKeySecret: optionalSelector("prefect_api_key_secret"),
    authStringSecret: optionalSelector("prefect_api_auth_string_secret"),
    cloudsqlInstances,
    keepJob,
    region: regionRaw ?? DEFAULT_REGION,
    timeout: readTimeout(config),
  };
}
