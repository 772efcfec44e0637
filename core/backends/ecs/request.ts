/**
 * @module
 * `EcsBackend.prepare` (pure): a rendered `ecs` job configuration → an {@link EcsRequest}: the
 * content-addressed task-definition spec (or the linked `task_definition_arn`), the RunTask request,
 * cluster, orchestration container, credentials, logs settings and the spec hash. Secret-backed
 * env names (PREFECT_API_KEY / PREFECT_API_AUTH_STRING with a Secrets Manager ARN) are removed
 * from the env that travels as overrides.
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { BackendContext } from "../../ports/backend.ts";
import type { Logger } from "../../ports/logger.ts";
import type { PlainObject } from "../../shared/plain.ts";
import { readEcsSettings } from "./config.ts";
import type { AwsCredentialsData, RunTaskRequest, TaskDefinitionSpec } from "./port.ts";
import { composeRunTask, type RunTaskInput } from "./runTask.ts";
import { addressSpec, validateTaskDefinition } from "./spec.ts";
import { API_KEY_ENV, AUTH_STRING_ENV, buildTaskDefinition, type LogsSettings } from "./taskDefinition.ts";

/** Image of the orchestration container when neither the template nor `image` sets one. */
export const DEFAULT_IMAGE = "prefecthq/prefect:3-latest";
/** StopTask reason. */
export const STOP_REASON = "Stopped by pushpool";

/** The task definition to use: a linked ARN, or a content-addressed spec. */
export type EcsTaskDefinitionPlan =
  | { kind: "arn"; arn: string }
  | { kind: "spec"; spec: TaskDefinitionSpec; family: string; hash: string; matchLatest: boolean };

/** What `prepare` produces and `submit` sends. */
export interface EcsRequest {
  flowRunId: string;
  credentials: AwsCredentialsData | null;
  /** The cluster RunTask gets (template, `cluster`, or the backend default); undefined → account default. */
  cluster: string | undefined;
  /**
   * The cluster part of the pid: the configured `cluster` (or the backend default) when RunTask
   * uses it; null → the cluster ARN RunTask returns (as Prefect's worker does for a cluster named
   * only in the template's `task_run_request`).
   */
  pidCluster: string | null;
  taskDefinition: EcsTaskDefinitionPlan;
  /** Hex SHA-256 of the canonical spec (null for a linked ARN). */
  hash: string | null;
  /** The RunTask request without `taskDefinition`, `networkConfiguration` and `clientToken` (spec mode). */
  runTask: RunTaskRequest | null;
  /** What builds the RunTask request once a linked task definition is described (ARN mode). */
  runTaskInput: RunTaskInput;
  /** The orchestration container (null until a linked task definition is described). */
  containerName: string | null;
  network: { vpcId: string | null; configuration: PlainObject };
  logs: LogsSettings | null;
  configureCloudwatchLogs: boolean;
  executionRoleArn: string | null;
}

export interface PrepareOptions {
  defaults?: {
    cluster?: string;
    prefectApiKeySecretArn?: string;
    prefectAuthStringSecretArn?: string;
    image?: string;
  };
  logger: Logger;
  /** The region of the client for these credentials (default `awslogs-region`). */
  regionOf(credentials: AwsCredentialsData | null): string;
}

/** Builds the request for one flow run; throws InvalidJobConfigurationError for a configuration that cannot run. */
export function prepareEcsRequest(
  config: JobConfiguration,
  ctx: BackendContext,
  options: PrepareOptions,
): EcsRequest {
  const defaults = options.defaults ?? {};
  const s = readEcsSettings(config, defaults);
  const secretEnv = [
    ...(s.apiKeySecretArn ? [API_KEY_ENV] : []),
    ...(s.authStringSecretArn ? [AUTH_STRING_ENV] : []),
  ];
  const env = Object.fromEntries(Object.entries(config.env).filter(([k]) => !secretEnv.includes(k)));
  const labels = {
    "prefect.io/flow-run-id": ctx.flowRun.id,
    "prefect.io/flow-run-name": ctx.flowRun.name,
    ...config.labels,
  };
  const templateCluster = typeof s.taskRunRequest.cluster === "string" ? s.taskRunRequest.cluster : "";
  const cluster = templateCluster || s.cluster || defaults.cluster || undefined;
  const configured = s.cluster || defaults.cluster || null;
  const pidCluster = configured && configured === cluster ? configured : null;
  const runTaskInput: RunTaskInput = {
    template: s.taskRunRequest,
    cluster: cluster ?? null,
    containerName: s.containerName,
    command: config.command,
    env,
    secretEnv,
    labels,
    flowRunId: ctx.flowRun.id,
  };
  const common = {
    flowRunId: ctx.flowRun.id,
    credentials: s.credentials,
    cluster,
    pidCluster,
    runTaskInput,
    network: { vpcId: s.vpcId, configuration: s.networkConfiguration },
    configureCloudwatchLogs: s.configureCloudwatchLogs,
    executionRoleArn: s.executionRoleArn,
  };

  const linked = s.taskRunRequest.taskDefinition;
  if (typeof linked === "string" && linked) {
    if (Array.isArray(s.taskDefinition.containerDefinitions) || s.taskDefinition.family)
      options.logger.debug("Skipping task definition construction since a task definition ARN is provided.", {
        flowRunId: ctx.flowRun.id,
      });
    return {
      ...common,
      taskDefinition: { kind: "arn", arn: linked },
      hash: null,
      runTask: null,
      containerName: s.containerName,
      logs: null,
    };
  }

  const built = buildTaskDefinition(s, {
    region: s.credentials?.region_name || options.regionOf(s.credentials),
    poolName: ctx.pool.name,
    deploymentId: ctx.flowRun.deployment_id,
    flowId: ctx.flowRun.flow_id,
    defaultImage: defaults.image ?? DEFAULT_IMAGE,
  });
  const addressed = addressSpec(built, ctx.pool.name);
  validateTaskDefinition(addressed.spec, {
    configureCloudwatchLogs: s.configureCloudwatchLogs,
    launchType: s.taskRunRequest.launchType,
    capacityProviderStrategy: s.taskRunRequest.capacityProviderStrategy,
  });
  const { request } = composeRunTask(runTaskInput, {
    taskDefinitionArn: "",
    requiresCompatibilities: addressed.spec.requiresCompatibilities,
    containerDefinitions: addressed.spec.containerDefinitions,
  });
  delete request.taskDefinition;
  return {
    ...common,
    taskDefinition: {
      kind: "spec",
      spec: addressed.spec as unknown as TaskDefinitionSpec,
      family: addressed.family,
      hash: addressed.hash,
      matchLatest: s.matchLatestRevisionInFamily,
    },
    hash: addressed.hash,
    runTask: request as unknown as RunTaskRequest,
    containerName: built.containerName,
    logs: built.logs,
  };
}
