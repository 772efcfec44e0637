/**
 * @module
 * Prefect's `CloudRunWorkerJobV2Configuration.prepare_for_flow_run` on the rendered `job_body`, in
 * its order (prefect-gcp 0.6.22): env, labels, the plaintext-credential warning, Cloud SQL volumes,
 * command, args, image, timeout, and the `vpcAccess` removal rule. Pure; returns a new body.
 *
 * - env: the prepared env as `{name, value}` appended to the first container's `env`, then
 *   `env_from_secrets`, then `prefect_api_key_secret` / `prefect_api_auth_string_secret`, each as
 *   `{name, valueSource: {secretKeyRef: {secret, version}}}`; a plaintext `PREFECT_API_KEY` /
 *   `PREFECT_API_AUTH_STRING` is dropped when a secret covers it.
 * - labels (./labels.ts) on both the job and its execution template (`template.labels`).
 * - command: absent/null → `prefect flow-run execute` split; a string → split (core/backends/shlex.ts).
 */
import { FLOW_RUN_COMMAND } from "../../job/prepare.ts";
import type { Logger } from "../../ports/logger.ts";
import { isPlainObject, type Plain, type PlainObject } from "../../shared/plain.ts";
import { shlexSplit } from "../shlex.ts";
import { mergeLabels } from "./labels.ts";
import type { CloudRunSettings } from "./settings.ts";

/** Image when the template's container has none: Prefect 3's floating tag (Prefect pins its own install's). */
export const DEFAULT_IMAGE = "docker.io/prefecthq/prefect:3-latest";

const API_KEY = "PREFECT_API_KEY";
const AUTH_STRING = "PREFECT_API_AUTH_STRING";

export interface JobBodyInput {
  settings: CloudRunSettings;
  env: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
  flowRunId: string;
  logger: Logger;
  /** Image for a container without one (default {@link DEFAULT_IMAGE}). */
  defaultImage?: string;
}

function secretEnv(name: string, ref: { secret: string; version: string }): PlainObject {
  return { name, valueSource: { secretKeyRef: { secret: ref.secret, version: ref.version } } };
}

function labelsOf(value: Plain | undefined): PlainObject {
  return isPlainObject(value) ? value : {};
}

/** The job body Cloud Run's CreateJob gets for this flow run. */
export function buildJobBody(input: JobBodyInput): PlainObject {
  const { settings: s, env, labels, logger } = input;
  const body = structuredClone(s.jobBody);
  const template = body.template as PlainObject;
  const task = template.template as PlainObject;
  const containers = task.containers as PlainObject[];
  const main = containers[0] as PlainObject;

  // env
  const keyCovered = Boolean(s.apiKeySecret) || Object.hasOwn(s.envFromSecrets, API_KEY);
  const authCovered = Boolean(s.authStringSecret) || Object.hasOwn(s.envFromSecrets, AUTH_STRING);
  const envs: PlainObject[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (name === API_KEY && keyCovered) continue;
    if (name === AUTH_STRING && authCovered) continue;
    envs.push({ name, value });
  }
  for (const [name, ref] of Object.entries(s.envFromSecrets)) envs.push(secretEnv(name, ref));
  if (s.apiKeySecret) envs.push(secretEnv(API_KEY, s.apiKeySecret));
  if (s.authStringSecret) envs.push(secretEnv(AUTH_STRING, s.authStringSecret));
  main.env = [...(Array.isArray(main.env) ? main.env : []), ...envs];

  // labels: the job's and its executions' (they outlive the job when it is deleted)
  body.labels = mergeLabels(labels, labelsOf(body.labels)) as PlainObject;
  template.labels = mergeLabels(labels, labelsOf(template.labels)) as PlainObject;

  // The names only: a warning never carries a value.
  for (const [name, covered, field] of [
    [API_KEY, keyCovered, "prefect_api_key_secret"],
    [AUTH_STRING, authCovered, "prefect_api_auth_string_secret"],
  ] as const)
    if (Object.hasOwn(env, name) && !covered)
      logger.warn(
        `${name} is provided as a plaintext environment variable. For better security, consider providing it as a secret using '${field}' or 'env_from_secrets' in your base job template.`,
        { flowRunId: input.flowRunId },
      );

  // Cloud SQL
  if (s.cloudsqlInstances.length > 0) {
    const volumes = Array.isArray(task.volumes) ? task.volumes : [];
    task.volumes = [
      ...volumes,
      { name: "cloudsql", cloudSqlInstance: { instances: [...s.cloudsqlInstances] } },
    ];
    const mounts = Array.isArray(main.volumeMounts) ? main.volumeMounts : [];
    main.volumeMounts = [...mounts, { name: "cloudsql", mountPath: "/cloudsql" }];
  }

  // command and args
  const command = Object.hasOwn(main, "command") ? main.command : null;
  if (command === null || command === undefined) main.command = shlexSplit(FLOW_RUN_COMMAND);
  else if (typeof command === "string") main.command = shlexSplit(command);
  if (typeof main.args === "string") main.args = shlexSplit(main.args);

  if (!Object.hasOwn(main, "image")) main.image = input.defaultImage ?? DEFAULT_IMAGE;
  task.timeout = `${s.timeout}s`;

  // vpcAccess: removed when empty or only `connector: null`; kept otherwise (user network settings).
  if (Object.hasOwn(task, "vpcAccess")) {
    const vpc = task.vpcAccess;
    const empty =
      vpc === null ||
      vpc === false ||
      vpc === "" ||
      vpc === 0 ||
      (Array.isArray(vpc) && vpc.length === 0) ||
      (isPlainObject(vpc) && Object.keys(vpc).length === 0);
    const onlyNullConnector =
      isPlainObject(vpc) &&
      Object.keys(vpc).length === 1 &&
      Object.hasOwn(vpc, "connector") &&
      vpc.connector === null;
    if (empty || onlyNullConnector) delete task.vpcAccess;
  }
  return body;
}
