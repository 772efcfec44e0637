/**
 * @module
 * Builds the core {@link Deps} once per cold start, from the function's environment:
 * secrets (./secrets.ts) → core config → Prefect client, ECS backend, SQS dispatch queue. Only
 * cheap objects are made here; SDK clients for ECS/EC2/Logs are created on first use per pool
 * credentials, and each handler awaits {@link runtime} on its first invocation (not at import).
 *
 * Environment (all handlers): `PREFECT_API_URL` (+ `PREFECT_API_KEY` / `PREFECT_API_AUTH_STRING`
 * or their `*_SECRET_ARN` / `*_SSM_PARAMETER` references), `PUSHPOOL_POOLS`, `PUSHPOOL_WORKER_NAME`,
 * `PUSHPOOL_TICK_SECONDS`, `PUSHPOOL_HORIZON_SECONDS`, `PUSHPOOL_LEAD_SECONDS`,
 * `PUSHPOOL_START_TIMEOUT_SECONDS`, `PUSHPOOL_CONTAINER_API_URL` (core/config.ts), and:
 * - `PUSHPOOL_QUEUE_URL` — the SQS dispatch queue (required by dispatch, tick, webhook);
 * - `PUSHPOOL_ECS_CLUSTER` — default cluster when a pool's template names none;
 * - `PUSHPOOL_ECS_CLUSTERS` — comma list of cluster names/ARNs whose task events are ours (events;
 *   default: `PUSHPOOL_ECS_CLUSTER` if set, else any cluster);
 * - `AWS_REGION`, `AWS_ENDPOINT_URL` (optional, e.g. moto) — read by the SDK clients.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { EcsBackend } from "../../core/backends/ecs/index.ts";
import type { EcsApiFactory } from "../../core/backends/ecs/port.ts";
import { type Clock, systemClock } from "../../core/ports/clock.ts";
import type { Queue } from "../../core/ports/queue.ts";
import { prefectClientFromEnv } from "../../core/prefect/fromEnv.ts";
import type { RequestInfo } from "../../core/prefect/http.ts";
import { nodeFetch } from "../../core/prefect/nodeFetch.ts";
import { withReadCache } from "../../core/prefect/readCache.ts";
import { buildDeps } from "../../core/runtime/buildDeps.ts";
import { type Config, loadConfig } from "../../core/runtime/config.ts";
import type { Deps, Faults } from "../../core/runtime/deps.ts";
import { checkAtStart, perInstance } from "../../core/runtime/instance.ts";
import { SECRET_SETTINGS, secretSettingValues } from "../../core/runtime/secretEnv.ts";
import { ConfigError } from "../../core/shared/errors.ts";
import { ecsApiFactory } from "./ecsApi.ts";
import { type FunctionLogger, functionLogger } from "./logger.ts";
import { MAX_SQS_DELAY_SECONDS, SqsQueue } from "./queue.ts";
import { resolveSecrets } from "./secrets.ts";

type Env = Record<string, string | undefined>;

export interface AwsRuntime {
  deps: Deps;
  config: Config;
  /** The environment with secrets resolved (never log it). */
  env: Env;
  logger: FunctionLogger;
  ecsApiFor: EcsApiFactory;
  ecs: EcsBackend;
  /** Cluster names/ARNs whose task events this deployment handles; empty = any. */
  clusters: string[];
}

export interface RuntimeOptions {
  env?: Env;
  faults?: Faults;
  clock?: Clock;
  ecsApiFor?: EcsApiFactory;
  /** Replaces the SQS queue (tests of handlers that must not enqueue). */
  queue?: Queue;
  /** Told of every Prefect API round trip (benchmarks count them). */
  onPrefectRequest?: (info: RequestInfo) => void;
}

export async function createRuntime(options: RuntimeOptions = {}): Promise<AwsRuntime> {
  const env = await resolveSecrets(options.env ?? process.env);
  const logger = functionLogger(secretSettingValues(env));
  const config = loadConfig(env);
  const api = withReadCache(prefectClientFromEnv(env, { logger, onRequest: options.onPrefectRequest }), {
    clock: systemClock,
  });
  const ecsApiFor = options.ecsApiFor ?? ecsApiFactory({ env });
  const cluster = blank(env.PUSHPOOL_ECS_CLUSTER);
  const ecs = new EcsBackend({
    ecsApiFor,
    logger,
    defaults: {
      cluster,
      prefectApiKeySecretArn: blank(env.PUSHPOOL_PREFECT_API_KEY_SECRET_ARN),
      prefectAuthStringSecretArn: blank(env.PUSHPOOL_PREFECT_AUTH_STRING_SECRET_ARN),
    },
  });
  const deps = buildDeps({
    config,
    api,
    backends: [ecs],
    queue: options.queue ?? lazyQueue(env),
    clock: options.clock,
    logger,
    processEnv: withoutSecrets(env),
    faults: options.faults,
  });
  const listed = (env.PUSHPOOL_ECS_CLUSTERS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const clusters = listed.length ? listed : cluster ? [cluster] : [];
  return { deps, config, env, logger, ecsApiFor, ecs, clusters };
}

/** The SQS queue, created on first send (the events handler never needs it). */
function lazyQueue(env: Env): Queue {
  let queue: SqsQueue | undefined;
  return {
    maxDelaySeconds: MAX_SQS_DELAY_SECONDS,
    async send(message, options) {
      if (!queue) {
        const url = blank(env.PUSHPOOL_QUEUE_URL);
        if (!url) throw new ConfigError("PUSHPOOL_QUEUE_URL is not set: the SQS dispatch queue's URL");
        queue = new SqsQueue(url, new SQSClient({}));
      }
      await queue.send(message, options);
    },
  };
}

const instance = perInstance(
  () => createRuntime(),
  (rt: AwsRuntime) =>
    checkAtStart(rt, nodeFetch, "this invocation fails and its messages return to the queue"),
);

/**
 * The runtime of this function instance, built on first use from `process.env` and checked once
 * (core/runtime/instance.ts): a failed build or check is not cached, the next invocation tries again.
 */
export function runtime(): Promise<AwsRuntime> {
  return instance.get();
}

/** Tests: forget the cached runtime (the next invocation rebuilds it from `process.env`). */
export function resetRuntime(): void {
  instance.reset();
}

/** Whether an ECS cluster (name or ARN) is one this deployment serves. */
export function servesCluster(clusters: readonly string[], clusterArn: string): boolean {
  if (clusters.length === 0) return true;
  const name = clusterArn.slice(clusterArn.lastIndexOf("/") + 1);
  return clusters.some((c) => c === clusterArn || c === name);
}

function blank(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

/** The function role's temporary credentials (Lambda sets them in the environment). */
const AWS_CREDENTIAL_ENV = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

/** `{{ $VAR }}` placeholders must not read pushpool's own secrets or the role's credentials. */
function withoutSecrets(env: Env): Env {
  const copy = { ...env };
  for (const name of [...SECRET_SETTINGS, ...AWS_CREDENTIAL_ENV]) delete copy[name];
  return copy;
}
