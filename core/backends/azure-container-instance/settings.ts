/**
 * @module
 * The typed view of a rendered `azure-container-instance` job configuration: each field read the
 * way Prefect's `AzureContainerJobConfiguration` (pydantic, lax mode) reads it, with errors that
 * name the field ({@link InvalidJobConfigurationError}).
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { Json } from "../../prefect/types.ts";
import { InvalidJobConfigurationError } from "../../shared/errors.ts";
import { laxBool } from "../../shared/fields.ts";
import { isPlainObject, type PlainObject, plain } from "../../shared/plain.ts";
import { azureCredentialOf } from "./credentials.ts";
import type { AzureCredentialChoice } from "./port.ts";

/** Prefect's `DEFAULT_CONTAINER_ENTRYPOINT`. */
export const DEFAULT_ENTRYPOINT = "/opt/prefect/entrypoint.sh";
/** Prefect's `task_start_timeout_seconds` default. */
export const DEFAULT_START_TIMEOUT_SECONDS = 240;

/** A registry credential: a DockerRegistryCredentials block or an ACRManagedIdentity. */
export type ImageRegistry =
  | { kind: "docker"; server: string; username: string; password: string }
  | { kind: "acr-identity"; server: string; identity: string };

export interface AciSettings {
  image: string | null;
  resourceGroup: string;
  subscriptionId: string;
  identities: string[] | null;
  entrypoint: string | null;
  imageRegistry: ImageRegistry | null;
  gpuCount: number | null;
  gpuSku: string | null;
  subnetIds: string[] | null;
  dnsServers: string[] | null;
  credential: AzureCredentialChoice;
  startTimeoutSeconds: number;
  keepContainerGroup: boolean;
  /** `arm_template` (a deep copy). */
  armTemplate: PlainObject;
}

function invalid(field: string, message: string): InvalidJobConfigurationError {
  return new InvalidJobConfigurationError(`${field}: ${message}`);
}

function field(config: JobConfiguration, key: string): Json | undefined {
  return Object.hasOwn(config, key) ? config[key] : undefined;
}

function requiredString(config: JobConfiguration, key: string): string {
  const value = field(config, key);
  if (value === undefined) throw invalid(key, "Field required");
  if (typeof value !== "string") throw invalid(key, "Input should be a valid string");
  return value;
}

function optionalString(config: JobConfiguration, key: string, fallback: string | null): string | null {
  const value = field(config, key);
  if (value === undefined) return fallback;
  if (value === null) return null;
  if (typeof value !== "string") throw invalid(key, "Input should be a valid string");
  return value;
}

function stringList(config: JobConfiguration, key: string): string[] | null {
  const value = field(config, key);
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw invalid(key, "Input should be a valid list");
  return value.map((item, i) => {
    if (typeof item !== "string") throw invalid(`${key}.${i}`, "Input should be a valid string");
    return item;
  });
}

function number(config: JobConfiguration, key: string, integer: boolean): number | null {
  const value = field(config, key);
  if (value === undefined || value === null) return null;
  const n = plain(value);
  const parsed = typeof n === "string" && n.trim() !== "" ? Number(n) : n;
  if (typeof parsed !== "number" || !Number.isFinite(parsed) || (integer && !Number.isInteger(parsed)))
    throw invalid(key, integer ? "Input should be a valid integer" : "Input should be a valid number");
  return parsed;
}

function bool(config: JobConfiguration, key: string): boolean {
  const value = field(config, key);
  if (value === undefined) return false;
  const parsed = laxBool(value);
  if (parsed === undefined) throw invalid(key, "Input should be a valid boolean");
  return parsed;
}

function registryOf(value: Json | undefined): ImageRegistry | null {
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) throw invalid("image_registry", "Input should be a valid dictionary");
  const r = value as Record<string, Json>;
  const str = (key: string) => (typeof r[key] === "string" ? (r[key] as string) : null);
  const server = str("registry_url");
  if (!server) throw invalid("image_registry.registry_url", "Field required");
  const identity = str("identity");
  if (identity) return { kind: "acr-identity", server, identity };
  const username = str("username");
  const password = str("password");
  if (username && password !== null) return { kind: "docker", server, username, password };
  throw invalid(
    "image_registry",
    "Input should be an ACRManagedIdentity (registry_url, identity) or a DockerRegistryCredentials block (username, password, registry_url)",
  );
}

/** Reads the ACI fields of a job configuration. */
export function readAciSettings(config: JobConfiguration): AciSettings {
  const template = field(config, "arm_template");
  if (!isPlainObject(template)) throw invalid("arm_template", "Input should be a valid dictionary");
  const gpuCount = number(config, "gpu_count", true);
  const startTimeout = number(config, "task_start_timeout_seconds", true);
  if (field(config, "task_start_timeout_seconds") === null)
    throw invalid("task_start_timeout_seconds", "Input should be a valid integer");
  return {
    image: optionalString(config, "image", null),
    resourceGroup: requiredString(config, "resource_group_name"),
    subscriptionId: requiredString(config, "subscription_id"),
    identities: stringList(config, "identities"),
    entrypoint: optionalString(config, "entrypoint", DEFAULT_ENTRYPOINT),
    imageRegistry: registryOf(field(config, "image_registry")),
    gpuCount,
    gpuSku: optionalString(config, "gpu_sku", null),
    subnetIds: stringList(config, "subnet_ids"),
    dnsServers: stringList(config, "dns_servers"),
    credential: azureCredentialOf(field(config, "aci_credentials")),
    startTimeoutSeconds: startTimeout ?? DEFAULT_START_TIMEOUT_SECONDS,
    keepContainerGroup: bool(config, "keep_container_group"),
    armTemplate: plain(template) as PlainObject,
  };
}
