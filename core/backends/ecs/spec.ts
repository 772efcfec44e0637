/**
 * @module
 * Content addressing of task definitions. A task definition is normalised (container `essential`
 * made explicit, `environment`/`secrets` sorted by name, `environmentFiles` by value — the
 * differences ECS ignores), serialised with sorted keys and hashed with SHA-256. Everything that
 * varies per run (env, command, tags, cluster, task role, cpu/memory overrides) travels in RunTask,
 * so one revision serves every run, deployment and pool with the same spec.
 *
 * Family: the template's `family` (sanitised), else `pushpool_<sanitised pool>_<first 12 hex of the hash>`.
 * The hash never covers the family, and the revision carries the full hash in the tag
 * {@link SPEC_HASH_TAG}.
 */
import { createHash } from "node:crypto";
import { InvalidJobConfigurationError } from "../../shared/errors.ts";
import { isPlainObject, type Plain, type PlainObject } from "../../shared/plain.ts";
import type { TaskDefinitionSpec } from "./port.ts";
import { MAX_FAMILY_LENGTH, sanitizeFamily } from "./slug.ts";
import { type BuiltTaskDefinition, dropEmptyKeys } from "./taskDefinition.ts";

/** Tag on every revision pushpool registers: the full hex SHA-256 of its canonical spec. */
export const SPEC_HASH_TAG = "pushpool.io/spec-hash";
const HASH_VERSION = "pushpool-task-definition/v1";

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: Plain): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Plain)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function sortBy(list: Plain, key: string): Plain {
  if (!Array.isArray(list)) return list;
  const text = (item: Plain) => (isPlainObject(item) && typeof item[key] === "string" ? item[key] : "");
  return [...list].sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
}

/** A normalised copy: what ECS would store, in a stable order. */
export function normalizeSpec(spec: PlainObject): PlainObject {
  const out = structuredClone(spec);
  if (Array.isArray(out.containerDefinitions))
    for (const container of out.containerDefinitions) {
      if (!isPlainObject(container)) continue;
      if (!Object.hasOwn(container, "essential")) container.essential = true;
      if (Object.hasOwn(container, "environment"))
        container.environment = sortBy(container.environment as Plain, "name");
      if (Object.hasOwn(container, "secrets")) container.secrets = sortBy(container.secrets as Plain, "name");
      if (Object.hasOwn(container, "environmentFiles"))
        container.environmentFiles = sortBy(container.environmentFiles as Plain, "value");
    }
  return out;
}

/** Hex SHA-256 of the normalised spec without its family. */
export function specHash(spec: PlainObject): string {
  const { family: _family, ...rest } = normalizeSpec(spec);
  return createHash("sha256")
    .update(`${HASH_VERSION}\n${canonicalJson(rest)}`)
    .digest("hex");
}

/** The family for a spec: the explicit one sanitised, else `pushpool_<pool>_<hash12>` (≤ 255 chars). */
export function familyFor(explicitFamily: string | null, poolName: string, hash: string): string {
  if (explicitFamily) {
    const family = sanitizeFamily(explicitFamily);
    if (family.replace(/-/g, "")) return family;
  }
  const suffix = `_${hash.slice(0, 12)}`;
  const prefix = "pushpool_";
  const pool = sanitizeFamily(poolName, MAX_FAMILY_LENGTH - prefix.length - suffix.length);
  return `${prefix}${pool}${suffix}`;
}

/** What ECS adds to a registered task definition (never part of its content). */
const REGISTRATION_FIELDS = [
  "compatibilities",
  "taskDefinitionArn",
  "revision",
  "status",
  "requiresAttributes",
  "registeredAt",
  "registeredBy",
  "deregisteredAt",
];

/** A task definition's content as compared: ECS's defaults made explicit, empties and ECS's fields dropped. */
function comparable(td: unknown): string {
  const copy = JSON.parse(JSON.stringify(td ?? {})) as PlainObject;
  for (const key of [...REGISTRATION_FIELDS, "tags"]) delete copy[key];
  if (!Object.hasOwn(copy, "networkMode")) copy.networkMode = "bridge";
  const out = normalizeSpec(copy);
  dropEmptyKeys(out);
  return canonicalJson(out);
}

function userTags(tags: unknown): string {
  const list = Array.isArray(tags) ? (tags as { key?: unknown; value?: unknown }[]) : [];
  const kept = list
    .filter((t) => t.key !== SPEC_HASH_TAG)
    .map((t) => ({ key: String(t.key ?? ""), value: String(t.value ?? "") }));
  return canonicalJson(sortBy(kept, "key"));
}

/**
 * True when a described revision (and its tags) has the content of `spec` — how
 * `match_latest_revision_in_family` recognises a revision whoever registered it: the fields ECS
 * adds on registration ignored, `networkMode` defaulting to `bridge`, containers normalised as in
 * {@link normalizeSpec}, empty values dropped; the tags other than {@link SPEC_HASH_TAG} must be equal.
 */
export function sameContent(spec: PlainObject, described: unknown, describedTags: unknown): boolean {
  return comparable(spec) === comparable(described) && userTags(spec.tags) === userTags(describedTags);
}

/** A task definition ready to register: normalised, with its family and content hash. */
export interface AddressedSpec {
  spec: PlainObject;
  family: string;
  hash: string;
  /** `match_latest_revision_in_family`: the family's latest revision is reused when its content is equal. */
  matchLatest?: boolean;
}

/** The RegisterTaskDefinition input for an addressed spec: its tags, then the spec-hash tag. */
export function registrationSpec(a: AddressedSpec): TaskDefinitionSpec {
  const ownTags = Array.isArray(a.spec.tags) ? (a.spec.tags as PlainObject[]) : [];
  return {
    ...a.spec,
    tags: [...ownTags.filter((t) => t.key !== SPEC_HASH_TAG), { key: SPEC_HASH_TAG, value: a.hash }],
  } as unknown as TaskDefinitionSpec;
}

/** Normalises a built task definition, hashes it and names its family. */
export function addressSpec(built: BuiltTaskDefinition, poolName: string): AddressedSpec {
  const normalized = normalizeSpec(built.spec);
  const hash = specHash(normalized);
  const family = familyFor(built.explicitFamily, poolName, hash);
  return { spec: { family, ...normalized }, family, hash };
}

/** What Prefect's `_validate_task_definition` looks at. */
export interface TaskDefinitionFacts {
  executionRoleArn?: unknown;
  requiresCompatibilities?: unknown;
  networkMode?: unknown;
}

/**
 * Prefect's `_validate_task_definition`: awslogs needs an execution role; a non-EC2 launch needs
 * `FARGATE` compatibility; Fargate needs `awsvpc`. A custom capacity provider strategy, or an EC2
 * task definition without launch type, skips the launch checks.
 */
export function validateTaskDefinition(
  td: TaskDefinitionFacts,
  run: { configureCloudwatchLogs: boolean; launchType: unknown; capacityProviderStrategy: unknown },
): void {
  if (run.configureCloudwatchLogs && !td.executionRoleArn)
    throw new InvalidJobConfigurationError(
      "An execution role arn must be set on the task definition to use `configure_cloudwatch_logs` or `stream_logs` but no execution role was found on the task definition.",
    );
  const compat = Array.isArray(td.requiresCompatibilities) ? (td.requiresCompatibilities as unknown[]) : null;
  const requiresEc2 = compat?.includes("EC2") ?? false;
  const strategy = Array.isArray(run.capacityProviderStrategy) && run.capacityProviderStrategy.length > 0;
  let launchType = typeof run.launchType === "string" && run.launchType ? run.launchType : null;
  if (!launchType && !strategy && !requiresEc2) launchType = "FARGATE";
  if (strategy && launchType !== "FARGATE_SPOT") return;
  if (requiresEc2 && !launchType) return;
  if (launchType !== "EC2" && !(compat ?? ["FARGATE"]).includes("FARGATE"))
    throw new InvalidJobConfigurationError(
      `Task definition does not have 'FARGATE' in 'requiresCompatibilities' and cannot be used with launch type '${launchType}'`,
    );
  if (launchType === "FARGATE" || launchType === "FARGATE_SPOT") {
    const mode = typeof td.networkMode === "string" ? td.networkMode : "awsvpc";
    if (mode !== "awsvpc")
      throw new InvalidJobConfigurationError(
        `Found network mode '${mode}' which is not compatible with launch type '${launchType}'. Use either the 'EC2' launch type or the 'awsvpc' network mode.`,
      );
  }
}
