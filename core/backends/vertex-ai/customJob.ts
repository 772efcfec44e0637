/**
 * @module
 * The CustomJob body, as prefect-gcp's Vertex worker builds it (0.6.22), pure:
 *
 * 1. `prepare_for_flow_run` on the rendered `job_spec`: the prepared env becomes
 *    `worker_pool_specs[0].container_spec.env` as `[{name, value}]` (replacing any the template
 *    had); a null command becomes `prefect flow-run execute` split, a string command is split; the
 *    service account is `service_account_name`, else the credentials' e-mail (a key's
 *    `client_email` here; for ADC or a key file the runtime asks, ./index.ts `resolve`).
 * 2. `_build_job_spec`: each worker pool spec keeps `container_spec`, `machine_spec`,
 *    `replica_count`, `disk_spec` (other keys are dropped; an unknown field inside one is refused);
 *    `scheduling` is taken only when its `strategy` is a string (a strategy name), otherwise it is
 *    dropped, as Prefect drops it; `scheduling.timeout` = `maximum_run_time_hours` × 3600 s;
 *    `service_account_name` becomes `service_account`; the remaining keys that `CustomJobSpec`
 *    does not know are ignored, and null values are left out (proto-plus skips None).
 *
 * The result is REST JSON (camelCase keys). The display name (`<name>-<32 hex>`) and the token
 * label are added at start time (./index.ts), as they depend on the claim.
 */
import { FLOW_RUN_COMMAND } from "../../job/prepare.ts";
import { isPlainObject, type Plain, type PlainObject } from "../../shared/plain.ts";
import { shlexSplit } from "../shlex.ts";
import { invalid } from "./settings.ts";

/** Fields of the v1 messages Prefect builds from dicts (snake_case, as Python takes them). */
const CONTAINER_SPEC = ["image_uri", "command", "args", "env"];
const MACHINE_SPEC = [
  "machine_type",
  "accelerator_type",
  "accelerator_count",
  "gpu_partition_size",
  "tpu_topology",
  "reservation_affinity",
];
const DISK_SPEC = ["boot_disk_type", "boot_disk_size_gb"];
const SCHEDULING = [
  "timeout",
  "restart_job_on_worker_restart",
  "strategy",
  "disable_retries",
  "max_wait_duration",
];
/** `CustomJobSpec` fields; any other key of `job_spec` is ignored (`ignore_unknown_fields=True`). */
export const CUSTOM_JOB_SPEC = [
  "persistent_resource_id",
  "worker_pool_specs",
  "scheduling",
  "service_account",
  "network",
  "reserved_ip_ranges",
  "psc_interface_config",
  "base_output_directory",
  "protected_artifact_location_id",
  "tensorboard",
  "enable_web_access",
  "enable_dashboard_access",
  "experiment",
  "experiment_run",
  "models",
];
/** `Scheduling.Strategy` names. */
export const STRATEGIES = ["STRATEGY_UNSPECIFIED", "ON_DEMAND", "LOW_COST", "STANDARD", "SPOT", "FLEX_START"];

export const NO_SERVICE_ACCOUNT =
  "A service account is required for the Vertex job. A service account could not be detected in the attached credentials or in the service_account_name input. Please pass in valid GCP credentials or a valid service_account_name";

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A dict as proto JSON: keys camelCased (recursively), null values left out. */
function toJson(value: Plain): Plain {
  if (Array.isArray(value)) return value.map(toJson);
  if (!isPlainObject(value)) return value;
  const out: PlainObject = {};
  for (const [key, item] of Object.entries(value)) if (item !== null) out[camel(key)] = toJson(item);
  return out;
}

/** `Message(**dict)`: every key must be a field of the message. */
function message(value: Plain | undefined, fields: string[], type: string, at: string): PlainObject {
  if (value === undefined) throw invalid(at, `'${at.split(".").pop()}' is required (KeyError)`);
  if (!isPlainObject(value)) throw invalid(at, `Input should be a valid dictionary for ${type}`);
  for (const key of Object.keys(value))
    if (!fields.includes(key) && !fields.map(camel).includes(key))
      throw invalid(at, `Unknown field for ${type}: ${key}`);
  return toJson(value) as PlainObject;
}

export interface JobSpecInput {
  jobSpec: PlainObject;
  env: Readonly<Record<string, string>>;
  command: string | null;
  /** The credentials' service-account e-mail when known without a call (a key's `client_email`). */
  credentialsEmail: string | null;
}

/**
 * Step 1: Prefect's prepare mutations. Returns the prepared `job_spec` (snake_case) and whether it
 * still needs the credentials' service account (`service_account_name` empty and no key e-mail).
 */
export function prepareJobSpec(input: JobSpecInput): { jobSpec: PlainObject; needsServiceAccount: boolean } {
  const spec = structuredClone(input.jobSpec);
  const pools = spec.worker_pool_specs;
  const first = Array.isArray(pools) ? pools[0] : undefined;
  const container = isPlainObject(first) ? first.container_spec : undefined;
  if (!isPlainObject(container))
    throw invalid("job_spec", "worker_pool_specs[0].container_spec must be a dictionary");
  container.env = Object.entries(input.env).map(([name, value]) => ({ name, value }));
  const command = Object.hasOwn(container, "command") ? container.command : null;
  if (command === null || command === undefined) container.command = shlexSplit(FLOW_RUN_COMMAND);
  else if (typeof command === "string") container.command = shlexSplit(command);
  const named = spec.service_account_name;
  const account =
    (typeof named === "string" || named === null || named === undefined ? named : String(named)) || null;
  const chosen = account ?? input.credentialsEmail;
  spec.service_account_name = chosen;
  return { jobSpec: spec, needsServiceAccount: chosen === null };
}

/** Seconds as a proto3 JSON Duration (`"3600s"`, `"1800.5s"`). */
function duration(seconds: number): string {
  return `${Number.isInteger(seconds) ? seconds : Number(seconds.toFixed(9))}s`;
}

/** Step 2: Prefect's `_build_job_spec` on a prepared `job_spec` → the `CustomJobSpec` (REST JSON). */
export function buildCustomJobSpec(prepared: PlainObject): PlainObject {
  const spec = structuredClone(prepared);
  const pools = Array.isArray(spec.worker_pool_specs) ? spec.worker_pool_specs : [];
  delete spec.worker_pool_specs;
  const workerPoolSpecs = pools.map((pool, i) => {
    const at = `job_spec.worker_pool_specs.${i}`;
    if (!isPlainObject(pool)) throw invalid(at, "Input should be a valid dictionary");
    if (!Object.hasOwn(pool, "replica_count"))
      throw invalid(`${at}.replica_count`, "'replica_count' is required (KeyError)");
    const out: PlainObject = {
      containerSpec: message(pool.container_spec, CONTAINER_SPEC, "ContainerSpec", `${at}.container_spec`),
      machineSpec: message(pool.machine_spec, MACHINE_SPEC, "MachineSpec", `${at}.machine_spec`),
      diskSpec: message(pool.disk_spec, DISK_SPEC, "DiskSpec", `${at}.disk_spec`),
    };
    if (pool.replica_count !== null) out.replicaCount = pool.replica_count as Plain;
    return out;
  });

  let scheduling: PlainObject = {};
  if (Object.hasOwn(spec, "scheduling")) {
    const params = spec.scheduling;
    delete spec.scheduling;
    if (isPlainObject(params) && typeof params.strategy === "string") {
      if (!STRATEGIES.includes(params.strategy))
        throw invalid("job_spec.scheduling.strategy", `'${params.strategy}' is not a Scheduling.Strategy`);
      scheduling = message(params, SCHEDULING, "Scheduling", "job_spec.scheduling");
    }
  }
  if (Object.hasOwn(spec, "maximum_run_time_hours")) {
    const hours = spec.maximum_run_time_hours;
    if ((typeof hours !== "number" || !Number.isFinite(hours)) && typeof hours !== "boolean")
      throw invalid("job_spec.maximum_run_time_hours", "Input should be a valid number");
    scheduling.timeout = duration(Number(hours) * 3600);
  }
  if (Object.hasOwn(spec, "service_account_name")) {
    spec.service_account = spec.service_account_name as Plain;
    delete spec.service_account_name;
  }

  const out: PlainObject = { workerPoolSpecs, scheduling };
  for (const [key, value] of Object.entries(spec)) {
    if (!CUSTOM_JOB_SPEC.includes(key) || value === null) continue;
    out[camel(key)] = toJson(value);
  }
  return out;
}
