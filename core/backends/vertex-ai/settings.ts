/**
 * @module
 * The typed view of a rendered `vertex-ai` job configuration, read the way Prefect's
 * `VertexAIWorkerJobConfiguration` (pydantic, lax mode) reads it: `region` a required string,
 * `credentials` a GcpCredentials block (or none: the function's own identity), `job_spec` a dict
 * with every path of Prefect's base job spec (its validator, same wording), `job_watch_poll_interval`
 * a float (read for its validation only: nothing here polls). Errors are
 * InvalidJobConfigurationErrors naming the field; key material never appears in one.
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { Json } from "../../prefect/types.ts";
import { InvalidJobConfigurationError } from "../../shared/errors.ts";
import { isPlainObject, type PlainObject, plain } from "../../shared/plain.ts";
import { isPyFloat } from "../../template/pyFloat.ts";
import { isPyInt } from "../../template/pyInt.ts";
import { readGcpCredentials } from "../cloud-run-v2/credentials.ts";
import type { GcpCredentialsData } from "./port.ts";

export interface VertexSettings {
  region: string;
  credentials: GcpCredentialsData | null;
  /** The rendered `job_spec` (snake_case, as the template writes it). */
  jobSpec: PlainObject;
}

export function invalid(field: string, message: string): InvalidJobConfigurationError {
  return new InvalidJobConfigurationError(`${field}: ${message}`);
}

function field(config: JobConfiguration, key: string): Json | undefined {
  return Object.hasOwn(config, key) ? config[key] : undefined;
}

/**
 * Prefect's base job spec, as its validator compares against it: the paths a `job_spec` must have
 * (values are not checked here, only presence, as a JSON-patch "add" finds them).
 */
const BASE_JOB_SPEC: PlainObject = {
  maximum_run_time_hours: "1",
  worker_pool_specs: [
    {
      replica_count: 1,
      container_spec: { image_uri: "gcr.io/your-project/your-repo:latest" },
      machine_spec: { machine_type: "n1-standard-4" },
      disk_spec: { boot_disk_type: "pd-ssd", boot_disk_size_gb: "100" },
    },
  ],
};

/** JSON-pointer paths of `base` that `value` lacks where both sides have the same kind of container. */
function missingPaths(value: unknown, base: unknown, at: string): string[] {
  if (isPlainObject(base) && isPlainObject(value)) {
    const out: string[] = [];
    for (const [key, sub] of Object.entries(base)) {
      const path = `${at}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
      if (!Object.hasOwn(value, key)) out.push(path);
      else out.push(...missingPaths(value[key], sub, path));
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(value)) {
    const out: string[] = [];
    for (const [i, sub] of base.entries()) {
      if (i >= value.length) out.push(`${at}/${i}`);
      else out.push(...missingPaths(value[i], sub, `${at}/${i}`));
    }
    return out;
  }
  return []; // a different kind of value is a "replace", which Prefect's validator lets through
}

function readJobSpec(config: JobConfiguration): PlainObject {
  const raw = field(config, "job_spec");
  if (raw === undefined) throw invalid("job_spec", "Field required");
  if (!isPlainObject(raw)) throw invalid("job_spec", "Input should be a valid dictionary");
  const spec = plain(raw) as PlainObject;
  const missing = missingPaths(spec, BASE_JOB_SPEC, "").sort();
  if (missing.length > 0)
    throw invalid(
      "job_spec",
      `Value error, Job is missing required attributes at the following paths: ${missing.join(", ")}`,
    );
  return spec;
}

function readFloat(config: JobConfiguration, key: string): void {
  const raw = field(config, key);
  if (raw === undefined || isPyFloat(raw) || isPyInt(raw) || typeof raw === "number") return;
  if (typeof raw === "string" && raw.trim() !== "" && Number.isFinite(Number(raw))) return;
  throw invalid(key, "Input should be a valid number");
}

/** The credentials block's data, or null (refuses a malformed block before anything is sent). */
export function readCredentials(config: JobConfiguration): GcpCredentialsData | null {
  const creds = field(config, "credentials");
  const credentials = isPlainObject(creds) ? (plain(creds) as GcpCredentialsData) : null;
  if (creds !== undefined && creds !== null && !credentials)
    throw invalid("credentials", "Input should be a valid dictionary or instance of GcpCredentials");
  readGcpCredentials(credentials);
  return credentials;
}

export function readVertexSettings(config: JobConfiguration): VertexSettings {
  const region = field(config, "region");
  if (region === undefined) throw invalid("region", "Field required");
  if (typeof region !== "string") throw invalid("region", "Input should be a valid string");
  const credentials = readCredentials(config);
  const jobSpec = readJobSpec(config);
  readFloat(config, "job_watch_poll_interval");
  return { region, credentials, jobSpec };
}
