/**
 * @module
 * The task definition pushpool registers for a job configuration — Prefect's
 * `_prepare_task_definition`, step by step: the orchestration container found or added, the image
 * defaulted, the awslogs driver, task- or container-level cpu/memory by launch type, empty values
 * dropped, and the Prefect API key / auth string as Secrets Manager `secrets` (never plain env).
 * The family is left out here: it is derived from the content hash (see spec.ts).
 */
import { InvalidJobConfigurationError } from "../../shared/errors.ts";
import { isPlainObject, type PlainObject } from "../../shared/plain.ts";
import { containerNameFromTaskDefinition, type EcsSettings, requireIntegers } from "./config.ts";

export const DEFAULT_CONTAINER_NAME = "prefect";
export const DEFAULT_CPU = 1024;
export const DEFAULT_MEMORY = 2048;

/** The env names that travel as Secrets Manager secrets when an ARN is configured. */
export const API_KEY_ENV = "PREFECT_API_KEY";
export const AUTH_STRING_ENV = "PREFECT_API_AUTH_STRING";

/** Where the orchestration container's awslogs output goes (null when logs are not configured). */
export interface LogsSettings {
  group: string;
  streamPrefix: string;
  region: string;
}

export interface BuiltTaskDefinition {
  /** RegisterTaskDefinition input without `family`. */
  spec: PlainObject;
  /** The family the template sets (`family` variable or a literal), before sanitising; null → generated. */
  explicitFamily: string | null;
  /** The orchestration container's name. */
  containerName: string;
  logs: LogsSettings | null;
}

export interface BuildContext {
  /** Region of the ECS client (default `awslogs-region`). */
  region: string;
  poolName: string;
  deploymentId: string | null;
  flowId: string;
  /** Image when neither the template nor `image` sets one. */
  defaultImage: string;
}

/** Prefect's `_drop_empty_keys_from_dict`: removes null, "", 0, [] and {} values (keeps `false`), recursively. */
export function dropEmptyKeys(obj: PlainObject): void {
  for (const [key, value] of Object.entries(obj)) {
    const empty =
      value === null ||
      value === "" ||
      value === 0 ||
      (Array.isArray(value) && value.length === 0) ||
      (isPlainObject(value) && Object.keys(value).length === 0);
    if (empty) delete obj[key];
    if (isPlainObject(value)) dropEmptyKeys(value);
    if (Array.isArray(value) && key !== "capacity_provider_strategy")
      for (const item of value) if (isPlainObject(item)) dropEmptyKeys(item);
  }
}

function findContainer(containers: PlainObject[], name: string): PlainObject | undefined {
  return containers.find((c) => c.name === name);
}

/** Builds the task definition (without family) from the settings; throws InvalidJobConfigurationError. */
export function buildTaskDefinition(s: EcsSettings, ctx: BuildContext): BuiltTaskDefinition {
  const td = structuredClone(s.taskDefinition);
  const rawContainers = Array.isArray(td.containerDefinitions) ? td.containerDefinitions : [];
  const containers = rawContainers.filter(
    (c): c is PlainObject => isPlainObject(c) && Object.keys(c).length > 0,
  );
  td.containerDefinitions = containers;

  const containerName = s.containerName || containerNameFromTaskDefinition(td) || DEFAULT_CONTAINER_NAME;
  let container = findContainer(containers, containerName);
  if (!container) {
    if (containerName !== DEFAULT_CONTAINER_NAME)
      throw new InvalidJobConfigurationError(
        `container_name: Container '${containerName}' not found in task definition.`,
      );
    container = containers.find((c) => !Object.hasOwn(c, "name"));
    if (container) container.name = containerName;
    else {
      container = { name: containerName };
      containers.push(container);
    }
  }
  if (!Object.hasOwn(container, "image")) container.image = ctx.defaultImage;
  if (Array.isArray(container.environment))
    container.environment = container.environment.filter((e) => !(isPlainObject(e) && e.value === null));

  let logs: LogsSettings | null = null;
  if (s.configureCloudwatchLogs) {
    const prefix = `prefect-logs_${ctx.poolName}_${ctx.deploymentId ?? ctx.flowId}`;
    const options: Record<string, string> = {
      "awslogs-create-group": "true",
      "awslogs-group": "prefect",
      "awslogs-region": ctx.region,
      "awslogs-stream-prefix": s.cloudwatchLogsPrefix || prefix,
      ...s.cloudwatchLogsOptions,
    };
    container.logConfiguration = { logDriver: "awslogs", options };
    logs = {
      group: options["awslogs-group"] ?? "prefect",
      streamPrefix: options["awslogs-stream-prefix"] ?? prefix,
      region: options["awslogs-region"] ?? ctx.region,
    };
  }

  const explicitFamily = typeof td.family === "string" && td.family ? td.family : null;
  delete td.family;

  const cpu = td.cpu || DEFAULT_CPU;
  const memory = td.memory || DEFAULT_MEMORY;
  const launchType = s.taskRunRequest.launchType;
  if (launchType === "FARGATE" || launchType === "FARGATE_SPOT") {
    td.cpu = String(cpu);
    td.memory = String(memory);
    const compat = Array.isArray(td.requiresCompatibilities) ? td.requiresCompatibilities : [];
    if (!compat.includes("FARGATE")) compat.push("FARGATE");
    td.requiresCompatibilities = compat;
    if (!Object.hasOwn(td, "networkMode")) td.networkMode = "awsvpc";
  } else {
    if (!Object.hasOwn(container, "cpu")) container.cpu = toInt("cpu", cpu);
    if (!Object.hasOwn(container, "memory")) container.memory = toInt("memory", memory);
  }
  if (td.cpu) td.cpu = String(td.cpu);
  if (td.memory) td.memory = String(td.memory);

  dropEmptyKeys(td);
  injectSecrets(container, s);
  requireIntegers(td.containerDefinitions, "containerDefinitions");
  return { spec: td, explicitFamily, containerName, logs };
}

function toInt(field: string, value: unknown): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(n))
    throw new InvalidJobConfigurationError(`${field}: Input should be a valid integer`);
  return n;
}

/** Prefect API key / auth string as container `secrets` (configured ARN wins), plain env entries removed. */
function injectSecrets(container: PlainObject, s: EcsSettings): void {
  const wanted = new Map<string, string>();
  if (s.apiKeySecretArn) wanted.set(API_KEY_ENV, s.apiKeySecretArn);
  if (s.authStringSecretArn) wanted.set(AUTH_STRING_ENV, s.authStringSecretArn);
  if (wanted.size === 0) return;
  if (Array.isArray(container.environment))
    container.environment = container.environment.filter(
      (e) => !(isPlainObject(e) && typeof e.name === "string" && wanted.has(e.name)),
    );
  const secrets = Array.isArray(container.secrets) ? container.secrets.filter(isPlainObject) : [];
  for (const secret of secrets) {
    const arn = typeof secret.name === "string" ? wanted.get(secret.name) : undefined;
    if (arn !== undefined && typeof secret.name === "string") {
      secret.valueFrom = arn;
      wanted.delete(secret.name);
    }
  }
  for (const [name, valueFrom] of wanted) secrets.push({ name, valueFrom });
  container.secrets = secrets;
}
