/**
 * @module
 * The RunTask request — Prefect's `_prepare_task_run_request`, minus networking (network.ts) and
 * the idempotency token: task definition and cluster filled in, launch type and capacity provider
 * rules, the orchestration container's command (argv) and environment as overrides, cpu/memory
 * overrides as strings, labels as slugified tags.
 */
import { InvalidJobConfigurationError } from "../../shared/errors.ts";
import { isPlainObject, type Plain, type PlainObject } from "../../shared/plain.ts";
import { shlexSplit } from "../shlex.ts";
import { containerNameFromTaskDefinition, requireIntegers } from "./config.ts";
import { slugifyTag } from "./slug.ts";
import { startedByFor } from "./startedBy.ts";
import { DEFAULT_CONTAINER_NAME } from "./taskDefinition.ts";

/** Everything the request needs that does not depend on the task definition. */
export interface RunTaskInput {
  /** The rendered `task_run_request`. */
  template: PlainObject;
  /** Cluster to use when the template leaves it empty (configured `cluster`, else the backend default). */
  cluster: string | null;
  /** The configured orchestration container name, if any. */
  containerName: string | null;
  command: string | null;
  /** The prepared env (secret-backed names already removed). */
  env: Record<string, string>;
  /** Env names that must never travel as plain overrides (they come from Secrets Manager). */
  secretEnv: string[];
  labels: Record<string, string>;
  /** The flow run, named in `startedBy` (`pushpool/<flowRunId>[/<container>]`). */
  flowRunId: string;
}

/** What the request needs from the task definition actually used. */
export interface TaskDefinitionRef {
  taskDefinitionArn: string;
  requiresCompatibilities?: unknown;
  containerDefinitions?: unknown;
}

const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;

/** Builds the RunTask request; returns it with the orchestration container's name. */
export function composeRunTask(
  input: RunTaskInput,
  td: TaskDefinitionRef,
): { request: PlainObject; containerName: string } {
  const req = structuredClone(input.template);
  if (req.taskDefinition && req.taskDefinition !== td.taskDefinitionArn)
    throw new InvalidJobConfigurationError(
      `Task definition ARN mismatch: '${String(req.taskDefinition)}' != '${td.taskDefinitionArn}'`,
    );
  req.taskDefinition = td.taskDefinitionArn;
  if (!req.cluster) {
    if (input.cluster) req.cluster = input.cluster;
    else delete req.cluster;
  }

  const requiresEc2 =
    Array.isArray(td.requiresCompatibilities) && (td.requiresCompatibilities as unknown[]).includes("EC2");
  if (!req.launchType) {
    if (requiresEc2) delete req.launchType;
    else req.launchType = "FARGATE";
  }
  if (Array.isArray(req.capacityProviderStrategy) && req.capacityProviderStrategy.length > 0) {
    delete req.launchType;
  } else {
    delete req.capacityProviderStrategy;
    if (req.launchType === "FARGATE_SPOT") {
      delete req.launchType;
      req.capacityProviderStrategy = [{ capacityProvider: "FARGATE_SPOT", weight: 1 }];
    }
  }

  const containerName = input.containerName || containerNameFromTaskDefinition(td) || DEFAULT_CONTAINER_NAME;
  const overrides: PlainObject = isPlainObject(req.overrides) ? req.overrides : {};
  const containerOverrides = (
    Array.isArray(overrides.containerOverrides) ? overrides.containerOverrides : []
  ).filter(isPlainObject);
  const first = containerOverrides[0];
  if (first && !first.name) first.name = containerName;
  const orchestration = containerOverrides.find((c) => c.name === containerName);
  if (orchestration && input.command) orchestration.command = input.command;

  const secret = new Set(input.secretEnv);
  for (const container of containerOverrides) {
    if (typeof container.command === "string") container.command = shlexSplit(container.command);
    container.environment = environmentList(container.environment).filter(
      (e) => e.value !== null && !secret.has(String(e.name)),
    );
  }
  if (orchestration) {
    const own = new Set(Object.keys(input.env));
    const environment: PlainObject[] = [
      ...(orchestration.environment as PlainObject[]).filter((e) => !own.has(String(e.name))),
      ...Object.entries(input.env)
        .filter(([name]) => !secret.has(name))
        .map(([name, value]) => ({ name, value })),
    ];
    if (environment.length > 0) orchestration.environment = environment;
  }
  if (overrides.cpu) overrides.cpu = String(overrides.cpu);
  if (overrides.memory) overrides.memory = String(overrides.memory);
  overrides.containerOverrides = containerOverrides.filter((c) => Object.keys(c).length > 0);
  requireIntegers(overrides.containerOverrides, "overrides.containerOverrides");
  req.overrides = overrides;

  const tags = runTags(req.tags, input.labels);
  if (tags.length > 0) req.tags = tags;
  else delete req.tags;
  req.startedBy = startedByFor(input.flowRunId, containerName);
  return { request: req, containerName };
}

function environmentList(value: Plain | undefined): PlainObject[] {
  if (Array.isArray(value)) return value.filter(isPlainObject);
  if (isPlainObject(value)) return Object.entries(value).map(([name, v]) => ({ name, value: v }));
  return [];
}

/**
 * Template tags not overridden by labels, then labels; keys and values slugified like Prefect;
 * keys ECS refuses (empty, `aws:` prefix) dropped; lengths capped at ECS's limits; one tag per key.
 */
export function runTags(templateTags: Plain | undefined, labels: Record<string, string>): PlainObject[] {
  const list: { key: string; value: string }[] = [];
  const fromTemplate = Array.isArray(templateTags)
    ? templateTags
        .filter(isPlainObject)
        .map((t) => ({ key: String(t.key ?? ""), value: t.value == null ? "" : String(t.value) }))
    : isPlainObject(templateTags)
      ? Object.entries(templateTags).map(([key, v]) => ({ key, value: v == null ? "" : String(v) }))
      : [];
  for (const tag of fromTemplate) if (!Object.hasOwn(labels, tag.key)) list.push(tag);
  for (const [key, value] of Object.entries(labels)) list.push({ key, value });
  const byKey = new Map<string, string>();
  for (const { key, value } of list) {
    const k = slugifyTag(key).slice(0, MAX_TAG_KEY);
    if (!k || k.toLowerCase().startsWith("aws:")) continue;
    byKey.set(k, slugifyTag(value).slice(0, MAX_TAG_VALUE));
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}
