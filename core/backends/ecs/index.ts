/**
 * @module
 * The ECS backend: serves `ecs` pools like Prefect's ECS worker, without a worker.
 *
 * - `prepare` (pure) turns the rendered job configuration into an {@link EcsRequest}: the
 *   content-addressed task-definition spec (or the linked ARN), the RunTask request, cluster,
 *   orchestration container, credentials, logs settings and the spec hash.
 * - `resolve` finds or registers the task definition (single flight per hash) and resolves `awsvpc`
 *   networking; `find` / `start` / `mayHaveStarted` are the start-once primitives (./claimTask.ts:
 *   RunTask with the claim's `clientToken` and tag); core's protocol (core/backends/startOnce.ts)
 *   adopts the task a resumed claim or a lost answer already started. The pid is
 *   `<cluster>::<taskArn>`.
 * - `inspect` = DescribeTasks, `kill` = StopTask, with the pool's rendered `aws_credentials`.
 */

import type { Task } from "@aws-sdk/client-ecs";
import type { JobConfiguration } from "../../job/types.ts";
import type { Backend, BackendContext, InfraStatus, InspectOutcome, Started } from "../../ports/backend.ts";
import type { CheckRow } from "../../ports/check.ts";
import { type Logger, silentLogger } from "../../ports/logger.ts";
import { InfrastructureNotFoundError, InvalidJobConfigurationError } from "../../shared/errors.ts";
import { isPlainObject, type PlainObject, plain } from "../../shared/plain.ts";
import { CLAIM_TOKEN_TAG, lookUpClaimTask, mayHaveStarted, runClaimTask } from "./claimTask.ts";
import { awsErrorShape, classifyAwsError, classifyRunTaskError } from "./classify.ts";
import { ecsDoctor } from "./doctor.ts";
import { inspectTasks, type TaskItem } from "./inspect.ts";
import { resolveNetwork } from "./network.ts";
import { formatPid, parsePid, regionOfArn, samePid } from "./pid.ts";
import type { AwsCredentialsData, EcsApi, EcsApiFactory, RunTaskRequest } from "./port.ts";
import { TaskDefinitionRegistry } from "./registry.ts";
import { type EcsRequest, prepareEcsRequest, STOP_REASON } from "./request.ts";
import { composeRunTask } from "./runTask.ts";
import { validateTaskDefinition } from "./spec.ts";

export { DEFAULT_TAIL_EVENTS, ecsCrashLogTail } from "./crashLogs.ts";
export { samePid } from "./pid.ts";
export {
  DEFAULT_IMAGE,
  type EcsRequest,
  type EcsTaskDefinitionPlan,
  prepareEcsRequest,
  STOP_REASON,
} from "./request.ts";
export { SPEC_HASH_TAG } from "./spec.ts";
export { type EcsTaskEvent, EcsTaskStateDetail, interpretEcsTaskEvent } from "./taskEvents.ts";

export interface EcsBackendOptions {
  /** The AWS port for a pool's rendered `aws_credentials` (null → the function's own identity). */
  ecsApiFor: EcsApiFactory;
  defaults?: {
    /** Cluster for pools that set none (else the account's default cluster). */
    cluster?: string;
    /** Secrets Manager ARN of the Prefect API key, for pools whose template sets none. */
    prefectApiKeySecretArn?: string;
    /** Secrets Manager ARN of the Prefect API auth string, likewise. */
    prefectAuthStringSecretArn?: string;
    /** Image when neither template nor `image` sets one (default {@link DEFAULT_IMAGE}). */
    image?: string;
  };
  logger?: Logger;
  /** Waits between in-process retries (default: a timer; tests pass a no-op). */
  sleep?(ms: number): Promise<void>;
  random?(): number;
  /** RegisterTaskDefinition attempts (default 4). */
  registerAttempts?: number;
}

/** Typical start-up of a Fargate task (image pull, ENI attachment: 30–60 s): the default dispatch lead. */
export const ECS_LEAD_SECONDS = 45;

/** What `resolve` gives the start-once primitives: the port and the RunTask request sans token. */
export interface EcsLaunch {
  api: EcsApi;
  runTask: PlainObject;
  request: EcsRequest;
}

export class EcsBackend implements Backend<EcsRequest, EcsLaunch> {
  readonly type = "ecs";
  readonly label = "ECS task";
  readonly leadSeconds = ECS_LEAD_SECONDS;
  private readonly logger: Logger;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly registry: TaskDefinitionRegistry;

  constructor(private readonly options: EcsBackendOptions) {
    this.logger = options.logger ?? silentLogger;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.registry = new TaskDefinitionRegistry({
      logger: this.logger,
      sleep: this.sleep,
      random: options.random,
      registerAttempts: options.registerAttempts,
    });
  }

  prepare(config: JobConfiguration, ctx: BackendContext): EcsRequest {
    return prepareEcsRequest(config, ctx, {
      defaults: this.options.defaults,
      logger: this.logger,
      regionOf: (credentials) => this.options.ecsApiFor(credentials).region,
    });
  }

  /** The task definition (found or registered) and networking: the RunTask every start of this request sends. */
  async resolve(request: EcsRequest, _ctx: BackendContext): Promise<EcsLaunch> {
    const api = this.options.ecsApiFor(request.credentials);
    let runTask: PlainObject;
    let networkMode: unknown;
    const plan = request.taskDefinition;
    if (plan.kind === "arn") {
      const td = await this.describeLinked(api, plan.arn);
      validateTaskDefinition(td, {
        configureCloudwatchLogs: request.configureCloudwatchLogs,
        launchType: request.runTaskInput.template.launchType,
        capacityProviderStrategy: request.runTaskInput.template.capacityProviderStrategy,
      });
      const composed = composeRunTask(request.runTaskInput, {
        taskDefinitionArn: plan.arn,
        requiresCompatibilities: td.requiresCompatibilities,
        containerDefinitions: td.containerDefinitions,
      });
      runTask = composed.request;
      networkMode = td.networkMode;
    } else {
      const td = await this.registry.resolve(api, { ...plan, spec: plan.spec as unknown as PlainObject });
      runTask = { ...(structuredClone(request.runTask) as unknown as PlainObject) };
      runTask.taskDefinition = td.taskDefinitionArn ?? "";
      networkMode = plan.spec.networkMode;
    }
    const network = await resolveNetwork(api, {
      networkMode,
      templateHasNetworkConfiguration: Boolean(runTask.networkConfiguration),
      vpcId: request.network.vpcId,
      networkConfiguration: request.network.configuration,
    });
    if (network) runTask.networkConfiguration = network;
    return { api, runTask, request };
  }

  async find(launch: EcsLaunch, token: string): Promise<Started | null> {
    const task = await lookUpClaimTask(launch.api, withToken(launch.runTask, token), token);
    return task ? { pid: pidOf(launch.request, task) } : null;
  }

  async start(launch: EcsLaunch, token: string, ctx: BackendContext): Promise<Started> {
    const { runTask, request } = launch;
    const task = await runClaimTask(launch.api, withToken(runTask, token), (error) =>
      classifyRunTaskError(error, {
        cluster: runTask.cluster as string | undefined,
        launchType: runTask.launchType as string | undefined,
        configureCloudwatchLogs: request.configureCloudwatchLogs,
        executionRoleArn: request.executionRoleArn,
        linkedTaskDefinition: request.taskDefinition.kind === "arn",
      }),
    );
    // Debug: core logs "flow run submitted" with the pid at info, one line per run.
    this.logger.debug("Created ECS task", {
      flowRunId: ctx.flowRun.id,
      taskArn: task.taskArn,
      taskDefinitionArn: runTask.taskDefinition,
    });
    return { pid: pidOf(request, task) };
  }

  mayHaveStarted(error: unknown): boolean {
    return mayHaveStarted(error);
  }

  samePid(a: string, b: string): boolean {
    return samePid(a, b);
  }

  /** Registers (or finds) the task definition a submit of this request will use, ahead of the burst. */
  async warm(request: EcsRequest): Promise<void> {
    const plan = request.taskDefinition;
    if (plan.kind !== "spec") return; // a linked task definition: nothing to register
    await this.registry.resolve(this.options.ecsApiFor(request.credentials), {
      ...plan,
      spec: plan.spec as unknown as PlainObject,
    });
  }

  /** `pushpool doctor`: configuration, cluster, task definition (roles), networking (./doctor.ts). */
  doctor(config: JobConfiguration, ctx: BackendContext): Promise<CheckRow[]> {
    return ecsDoctor(config, ctx, {
      prepare: (c, x) => this.prepare(c, x),
      api: (request) => this.options.ecsApiFor(request.credentials),
      warm: (request) => this.warm(request),
      resolve: (request, x) => this.resolve(request, x),
    });
  }

  private async describeLinked(api: EcsApi, arn: string) {
    let found: Awaited<ReturnType<EcsApi["describeTaskDefinition"]>>;
    try {
      found = await api.describeTaskDefinition(arn);
    } catch (error) {
      throw classifyAwsError(error, `Failed to describe ECS task definition '${arn}'`);
    }
    if (!found)
      throw new InvalidJobConfigurationError(
        `task_definition_arn: Task definition '${arn}' was not found. Check the ARN and the region.`,
      );
    if (found.taskDefinition.status && found.taskDefinition.status !== "ACTIVE")
      throw new InvalidJobConfigurationError(
        "task_definition_arn: Failed to run ECS task, the task definition is inactive. Re-register the task definition or remove the `task_definition_arn` from your work pool configuration to allow pushpool to register a new task definition automatically.",
      );
    return found.taskDefinition;
  }

  async inspect(pid: string, config: JobConfiguration, _ctx?: BackendContext): Promise<InfraStatus> {
    const [outcome] = await this.inspectMany([{ pid, config }]);
    if (!outcome || "error" in outcome) throw outcome?.error ?? new Error("no inspection result");
    return outcome.status;
  }

  /** DescribeTasks for many tasks at once: per credentials and cluster, 100 per call (./inspect.ts). */
  async inspectMany(items: readonly TaskItem[]): Promise<InspectOutcome[]> {
    return await inspectTasks(items, {
      apiFor: (item, taskArn) => this.options.ecsApiFor(credentialsFor(item.config, taskArn)),
    });
  }

  async kill(
    pid: string,
    config: JobConfiguration,
    _graceSeconds: number,
    _ctx?: BackendContext,
  ): Promise<void> {
    const parsed = parsePid(pid);
    if (!parsed) throw new InfrastructureNotFoundError(`'${pid}' is not an ECS task pid.`);
    const api = this.options.ecsApiFor(credentialsFor(config, parsed.taskArn));
    try {
      await api.stopTask(parsed.cluster, parsed.taskArn, STOP_REASON);
    } catch (error) {
      const name = awsErrorShape(error).name;
      if (name === "InvalidParameterException" || name === "ClusterNotFoundException")
        throw new InfrastructureNotFoundError(
          `ECS task '${parsed.taskArn}' not found in cluster '${parsed.cluster}'`,
          { cause: error },
        );
      throw classifyAwsError(error, "Failed to stop ECS task");
    }
    this.logger.info("Stopped ECS task", { taskArn: parsed.taskArn, cluster: parsed.cluster });
  }
}

/** Credentials that only pin the region of an ARN (the function's own identity, right region). */
function regionOnly(arn: string): AwsCredentialsData | null {
  const region = regionOfArn(arn);
  return region ? { region_name: region } : null;
}

/** The pool's rendered `aws_credentials`, else the function's own identity in the task's region. */
function credentialsFor(config: JobConfiguration, taskArn: string): AwsCredentialsData | null {
  const configured = Object.hasOwn(config, "aws_credentials") ? config.aws_credentials : undefined;
  return isPlainObject(configured) ? (plain(configured) as AwsCredentialsData) : regionOnly(taskArn);
}

/** The RunTask request carrying the claim's token: `clientToken` and the claim tag. */
function withToken(runTask: PlainObject, token: string): RunTaskRequest {
  const tags = Array.isArray(runTask.tags) ? runTask.tags : [];
  return {
    ...runTask,
    clientToken: token,
    tags: [...tags, { key: CLAIM_TOKEN_TAG, value: token }],
  } as unknown as RunTaskRequest;
}

/** `<cluster>::<taskArn>`: the configured cluster as Prefect records it, else the task's own ARN. */
function pidOf(request: EcsRequest, task: Task): string {
  return formatPid(request.pidCluster || task.clusterArn || "default", task.taskArn ?? "");
}
