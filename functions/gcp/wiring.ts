/**
 * @module
 * Builds the core {@link Deps} once per function instance, from its environment (./env.ts): core
 * config → Prefect client (with the read cache), the Cloud Run v2 and Vertex AI backends (their
 * Google clients loaded on first use), the Cloud Tasks
 * dispatch queue and the dead-letter publisher (./queueFactory.ts, both made on first use). Secrets
 * arrive as environment variables mounted from Secret Manager; they are never logged (./logger.ts)
 * and never readable by `{{ $VAR }}` placeholders. Each handler awaits {@link runtime} on its first
 * invocation (not at import), and a cold start is checked once (core/runtime/preflight.ts).
 *
 * `PUSHPOOL_PREFECT_API_KEY_SECRET` (`projects/<p>/secrets/<s>[/versions/<v>]` or `<s>[:<v>]`)
 * is the Secret Manager secret flow containers read the API key from when a pool names none;
 * `PUSHPOOL_PREFECT_AUTH_STRING_SECRET` (same forms) likewise for the API auth string of a
 * self-hosted server with basic auth. A pool's own `prefect_api_*_secret` wins.
 */
import { CloudRunBackend } from "../../core/backends/cloud-run-v2/index.ts";
import type { CloudRunApiFactory } from "../../core/backends/cloud-run-v2/port.ts";
import type { SecretKeySelector } from "../../core/backends/cloud-run-v2/settings.ts";
import { VertexBackend } from "../../core/backends/vertex-ai/index.ts";
import type { VertexApiFactory } from "../../core/backends/vertex-ai/port.ts";
import type { Backend } from "../../core/ports/backend.ts";
import { type Clock, systemClock } from "../../core/ports/clock.ts";
import type { Logger } from "../../core/ports/logger.ts";
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
import { lazyCloudRunApiFactory } from "./lazyCloudRun.ts";
import { lazyVertexApiFactory } from "./lazyVertex.ts";
import { functionLogger } from "./logger.ts";
import { type DeadLetterPublisher, productionDeadLetter, productionQueue } from "./queueFactory.ts";

type Env = Record<string, string | undefined>;

export interface GcpRuntime {
  deps: Deps;
  config: Config;
  /** The function's environment (holds secrets: never log it). */
  env: Env;
  logger: Logger;
  cloudRunApiFor: CloudRunApiFactory;
  cloudRun: CloudRunBackend;
  vertex: VertexBackend;
  deadLetter: DeadLetterPublisher;
  /** The Cloud Tasks queue's `max_attempts` (`PUSHPOOL_TASKS_MAX_ATTEMPTS`), when set. */
  maxAttempts: number | undefined;
}

export interface RuntimeOptions {
  env?: Env;
  faults?: Faults;
  clock?: Clock;
  logger?: Logger;
  cloudRunApiFor?: CloudRunApiFactory;
  vertexApiFor?: VertexApiFactory;
  /** Replaces the Cloud Tasks queue. */
  queue?: Queue;
  /** Replaces the Pub/Sub dead-letter publisher. */
  deadLetter?: DeadLetterPublisher;
  /** Told of every Prefect API round trip (benchmarks count them). */
  onPrefectRequest?: (info: RequestInfo) => void;
}

export function createRuntime(options: RuntimeOptions = {}): GcpRuntime {
  const env = options.env ?? process.env;
  const logger = options.logger ?? functionLogger(secretSettingValues(env));
  const config = loadConfig(env);
  const api = withReadCache(prefectClientFromEnv(env, { logger, onRequest: options.onPrefectRequest }), {
    clock: systemClock,
  });
  const cloudRunApiFor = options.cloudRunApiFor ?? lazyCloudRunApiFactory({ env });
  const apiKeySecret = secretRef(env.PUSHPOOL_PREFECT_API_KEY_SECRET, "PUSHPOOL_PREFECT_API_KEY_SECRET");
  const authStringSecret = secretRef(
    env.PUSHPOOL_PREFECT_AUTH_STRING_SECRET,
    "PUSHPOOL_PREFECT_AUTH_STRING_SECRET",
  );
  const cloudRun = new CloudRunBackend({
    cloudRunApiFor,
    logger,
    defaults: {
      ...(apiKeySecret ? { prefectApiKeySecret: apiKeySecret } : {}),
      ...(authStringSecret ? { prefectApiAuthStringSecret: authStringSecret } : {}),
    },
  });
  const vertex = new VertexBackend({
    vertexApiFor: options.vertexApiFor ?? lazyVertexApiFactory({ env }),
    logger,
  });
  const backends: Backend[] = [cloudRun, vertex];
  const deps = buildDeps({
    config,
    api,
    backends,
    queue: options.queue ?? productionQueue(env),
    clock: options.clock,
    logger,
    processEnv: withoutSecrets(env),
    faults: options.faults,
  });
  return {
    deps,
    config,
    env,
    logger,
    cloudRunApiFor,
    cloudRun,
    vertex,
    deadLetter: options.deadLetter ?? productionDeadLetter(env),
    maxAttempts: positiveInt(env.PUSHPOOL_TASKS_MAX_ATTEMPTS, "PUSHPOOL_TASKS_MAX_ATTEMPTS"),
  };
}

const instance = perInstance(
  () => createRuntime(),
  (rt: GcpRuntime) => checkAtStart(rt, nodeFetch, "this invocation fails and is retried"),
);

/**
 * The runtime of this function instance, built on first use from `process.env` and checked once
 * (core/runtime/instance.ts): a failed build or check is not cached, the next invocation tries again.
 */
export function runtime(): Promise<GcpRuntime> {
  return instance.get();
}

/** The start-up checks of a cold start (core/runtime/instance.ts). */
export function checkedOnce(rt: GcpRuntime): Promise<GcpRuntime> {
  return checkAtStart(rt, nodeFetch, "this invocation fails and is retried");
}

/** Tests: forget the cached runtime (the next invocation rebuilds it from `process.env`). */
export function resetRuntime(): void {
  instance.reset();
}

/** A Secret Manager reference as Cloud Run's SecretKeySelector; blank → none. */
export function secretRef(value: string | undefined, name: string): SecretKeySelector | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  const full = /^(projects\/[^/]+\/secrets\/[^/]+)(?:\/versions\/([^/]+))?$/.exec(v);
  if (full?.[1]) return { secret: full[1], version: full[2] ?? "latest" };
  const short = /^([A-Za-z0-9_-]+)(?::([A-Za-z0-9_-]+))?$/.exec(v);
  if (short?.[1]) return { secret: short[1], version: short[2] ?? "latest" };
  throw new ConfigError(
    `${name} must be a Secret Manager secret: projects/<p>/secrets/<s>[/versions/<v>] or <s>[:<v>]`,
  );
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name} must be a positive integer, got '${v}'`);
  return n;
}

/** `{{ $VAR }}` placeholders must not read pushpool's own secrets. */
function withoutSecrets(env: Env): Env {
  const copy = { ...env };
  for (const name of SECRET_SETTINGS) delete copy[name];
  return copy;
}
