/**
 * @module
 * The typed view of a rendered `ecs` job configuration: each field read and type-checked the way
 * Prefect's `ECSJobConfiguration` (pydantic, lax mode) reads it, then Prefect's model validators
 * with their own wording. Errors are {@link InvalidJobConfigurationError}s that name the field.
 */

import type { JobConfiguration } from "../../job/types.ts";
import type { Json, JsonObject } from "../../prefect/types.ts";
import { InvalidJobConfigurationError } from "../../shared/errors.ts";
import { laxBool } from "../../shared/fields.ts";
import { isPlainObject, type Plain, type PlainObject, plain } from "../../shared/plain.ts";
import type { AwsCredentialsData } from "./port.ts";

/** The ECS-specific fields of a job configuration, typed. Absent or null fields are `null`/empty. */
export interface EcsSettings {
  /** `task_definition` (deep copy). */
  taskDefinition: PlainObject;
  /** `task_run_request` (deep copy). */
  taskRunRequest: PlainObject;
  credentials: AwsCredentialsData | null;
  cluster: string | null;
  containerName: string | null;
  configureCloudwatchLogs: boolean;
  cloudwatchLogsOptions: Record<string, string>;
  cloudwatchLogsPrefix: string | null;
  networkConfiguration: PlainObject;
  vpcId: string | null;
  executionRoleArn: string | null;
  apiKeySecretArn: string | null;
  authStringSecretArn: string | null;
  autoDeregisterTaskDefinition: boolean;
  matchLatestRevisionInFamily: boolean;
}

function invalid(field: string, message: string): InvalidJobConfigurationError {
  return new InvalidJobConfigurationError(`${field}: ${message}`);
}

function field(config: JobConfiguration, key: string): Json | undefined {
  return Object.hasOwn(config, key) ? config[key] : undefined;
}

function isObject(value: Json | undefined): value is JsonObject {
  return isPlainObject(value);
}

function optionalString(config: JobConfiguration, key: string): string | null {
  const value = field(config, key);
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw invalid(key, "Input should be a valid string");
  return value;
}

/**
 * pydantic's lax bool: booleans, 0/1, and the usual true/false words. Absent → false; `null` → false
 * for Prefect's `Optional[bool]` fields, refused for its plain `bool` ones (as its model refuses it).
 */
function optionalBool(config: JobConfiguration, key: string, nullable = true): boolean {
  const value = field(config, key);
  if (value === undefined) return false;
  if (value === null) {
    if (nullable) return false;
    throw invalid(key, "Input should be a valid boolean");
  }
  const bool = laxBool(value);
  if (bool !== undefined) return bool;
  throw invalid(key, "Input should be a valid boolean");
}

/** An object field; absent → {}. `null` is refused, as Prefect's `Dict` fields refuse it. */
function optionalObject(config: JobConfiguration, key: string): PlainObject {
  const value = field(config, key);
  if (value === undefined) return {};
  if (!isObject(value)) throw invalid(key, "Input should be a valid dictionary");
  return plain(value) as PlainObject;
}

function stringMap(config: JobConfiguration, key: string): Record<string, string> {
  const raw = optionalObject(config, key);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "string") throw invalid(`${key}.${k}`, "Input should be a valid string");
    out[k] = v;
  }
  return out;
}

function credentials(config: JobConfiguration): AwsCredentialsData | null {
  const value = field(config, "aws_credentials");
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw invalid("aws_credentials", "Input should be a valid dictionary");
  return plain(value) as AwsCredentialsData;
}

/** Prefect's `_container_name_from_task_definition`: `prefect` if present, else the first container's name. */
export function containerNameFromTaskDefinition(taskDefinition: {
  containerDefinitions?: unknown;
}): string | null {
  const containers = Array.isArray(taskDefinition.containerDefinitions)
    ? (taskDefinition.containerDefinitions as unknown[])
    : [];
  const named = containers.filter(
    (c): c is { name?: unknown } => typeof c === "object" && c !== null && !Array.isArray(c),
  );
  if (named.some((c) => c.name === "prefect")) return "prefect";
  const first = named[0]?.name;
  return typeof first === "string" && first ? first : null;
}

/**
 * Reads the ECS fields of a job configuration and applies Prefect's model validators. Secret ARNs
 * fall back to `defaults` (the operator's Secrets Manager ARNs) when the pool sets none.
 */
export function readEcsSettings(
  config: JobConfiguration,
  defaults: { prefectApiKeySecretArn?: string; prefectAuthStringSecretArn?: string } = {},
): EcsSettings {
  const settings: EcsSettings = {
    taskDefinition: optionalObject(config, "task_definition"),
    taskRunRequest: optionalObject(config, "task_run_request"),
    credentials: credentials(config),
    cluster: optionalString(config, "cluster") || null,
    containerName: optionalString(config, "container_name") || null,
    configureCloudwatchLogs: optionalBool(config, "configure_cloudwatch_logs"),
    cloudwatchLogsOptions: stringMap(config, "cloudwatch_logs_options"),
    cloudwatchLogsPrefix: optionalString(config, "cloudwatch_logs_prefix") || null,
    networkConfiguration: optionalObject(config, "network_configuration"),
    vpcId: optionalString(config, "vpc_id") || null,
    executionRoleArn: optionalString(config, "execution_role_arn") || null,
    apiKeySecretArn:
      optionalString(config, "prefect_api_key_secret_arn") || defaults.prefectApiKeySecretArn || null,
    authStringSecretArn:
      optionalString(config, "prefect_api_auth_string_secret_arn") ||
      defaults.prefectAuthStringSecretArn ||
      null,
    autoDeregisterTaskDefinition: optionalBool(config, "auto_deregister_task_definition", false),
    matchLatestRevisionInFamily: optionalBool(config, "match_latest_revision_in_family", false),
  };
  notNull(config, "task_start_timeout_seconds", "Input should be a valid integer");
  notNull(config, "task_watch_poll_interval", "Input should be a valid number");
  validate(settings);
  return settings;
}

/** Deprecated fields pushpool does not use, but whose `null` Prefect's model refuses. */
function notNull(config: JobConfiguration, key: string, message: string): void {
  if (field(config, key) === null) throw invalid(key, message);
}

/**
 * ECS's integer fields (container `cpu`, `memory`, `memoryReservation`) must be integers: Prefect's
 * boto3 refuses anything else before sending the request (`Parameter validation failed`), and so
 * does pushpool, with the same parameter path.
 */
export function requireIntegers(containers: Plain | undefined, path: string): void {
  if (!Array.isArray(containers)) return;
  for (const [i, container] of containers.entries()) {
    if (!isPlainObject(container)) continue;
    for (const key of ["cpu", "memory", "memoryReservation"]) {
      if (!Object.hasOwn(container, key)) continue;
      const value = container[key];
      if (typeof value === "number" && Number.isInteger(value)) continue;
      throw new InvalidJobConfigurationError(
        `Parameter validation failed: Invalid type for parameter ${path}[${i}].${key}, value: ${String(value)}, type: ${value === null ? "null" : typeof value}, valid types: integer`,
      );
    }
  }
}

function validate(s: EcsSettings): void {
  const linkedArn = Boolean(s.taskRunRequest.taskDefinition);
  if (!linkedArn && Object.keys(s.taskDefinition).length === 0)
    throw new InvalidJobConfigurationError(
      "A task definition must be provided if a task definition ARN is not present on the task run request.",
    );
  const containers = Array.isArray(s.taskDefinition.containerDefinitions)
    ? s.taskDefinition.containerDefinitions
    : [];
  if (containers.length > 0 && containers.every((c) => isPlainObject(c) && c.essential === false))
    throw new InvalidJobConfigurationError(
      "At least one container in the task definition must be marked as essential.",
    );
  if (s.configureCloudwatchLogs && !s.executionRoleArn && !linkedArn && !s.taskDefinition.executionRoleArn)
    throw new InvalidJobConfigurationError(
      "An `execution_role_arn` must be provided to use `configure_cloudwatch_logs` or `stream_logs`.",
    );
  if (Object.keys(s.cloudwatchLogsOptions).length > 0 && !s.configureCloudwatchLogs)
    throw new InvalidJobConfigurationError(
      "`configure_cloudwatch_log` must be enabled to use `cloudwatch_logs_options`.",
    );
  if (Object.keys(s.networkConfiguration).length > 0 && !s.vpcId)
    throw new InvalidJobConfigurationError(
      "You must provide a `vpc_id` to enable custom `network_configuration`.",
    );
}
