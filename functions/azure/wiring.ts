/**
 * @module
 * Builds the core {@link Deps} once per Function App instance, from its app settings
 * (./env.ts lists them): core config → Prefect client, the ACI backend (Resource Manager clients
 * per pool credential: an `AzureContainerInstanceCredentials` block's client secret, else the
 * app's managed identity through `DefaultAzureCredential`, which reads `AZURE_CLIENT_ID`), and the
 * Storage Queue `PUSHPOOL_QUEUE_NAME` on `AzureWebJobsStorage__queueServiceUri` (by identity).
 * Secrets arrive already resolved (Key Vault references in app settings); the logger knows them
 * and masks them. Each handler awaits {@link runtime} on its first invocation, never at import.
 */
import { DefaultAzureCredential } from "@azure/identity";
import { type QueueClient, QueueServiceClient } from "@azure/storage-queue";
import { AciBackend } from "../../core/backends/azure-container-instance/index.ts";
import type { AciApiFactory } from "../../core/backends/azure-container-instance/port.ts";
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
import type { AzureBaseConfig } from "./aciApi.ts";
import { withDefaultSubscription } from "./defaultSubscription.ts";
import { poisonQueueName } from "./hostSettings.ts";
import { lazyAciApiFactory } from "./lazyAciApi.ts";
import { azureLogger, type LogLevel } from "./logger.ts";
import { MAX_STORAGE_QUEUE_DELAY_SECONDS, StorageQueue } from "./queue.ts";

type Env = Record<string, string | undefined>;

export interface AzureRuntime {
  deps: Deps;
  config: Config;
  /** The app settings (never log them). */
  env: Env;
  logger: Logger;
  aciApiFor: AciApiFactory;
  /** The dispatch queue's client (PUSHPOOL_QUEUE_NAME). */
  queueClient(): QueueClient;
  /** The poison queue the host fills (`<PUSHPOOL_QUEUE_NAME>-poison`). */
  poisonClient(): QueueClient;
}

export interface RuntimeOptions {
  env?: Env;
  faults?: Faults;
  clock?: Clock;
  /** Resource Manager endpoint, credential, https agent (tests: the local ARM). */
  azure?: AzureBaseConfig;
  /** The storage account's queue service (tests: azurite by connection string). */
  queueService?: QueueServiceClient;
  logLevel?: LogLevel;
  /** Where log lines go (tests capture them); default the console. */
  logWrite?: (level: LogLevel, line: string) => void;
  /** Told of every Prefect API round trip (benchmarks count them). */
  onPrefectRequest?: (info: RequestInfo) => void;
}

export async function createRuntime(options: RuntimeOptions = {}): Promise<AzureRuntime> {
  const env = options.env ?? process.env;
  const logger = azureLogger(secretSettingValues(env), {
    level: options.logLevel,
    write: options.logWrite,
  });
  const config = loadConfig(env);
  const api = withReadCache(prefectClientFromEnv(env, { logger, onRequest: options.onPrefectRequest }), {
    clock: systemClock,
  });
  const aciApiFor = lazyAciApiFactory(options.azure);
  const aci = withDefaultSubscription(
    new AciBackend({ aciApiFor, logger }),
    blank(env.PUSHPOOL_AZURE_SUBSCRIPTION_ID),
  );
  let service = options.queueService;
  const serviceOf = () => {
    if (!service) service = queueServiceFromEnv(env);
    return service;
  };
  const queueClient = () => {
    const name = queueName(env);
    return serviceOf().getQueueClient(name);
  };
  const poisonClient = () => {
    const name = poisonQueueName(queueName(env));
    return serviceOf().getQueueClient(name);
  };
  const deps = buildDeps({
    config,
    api,
    backends: [aci],
    queue: lazyQueue(queueClient),
    clock: options.clock,
    logger,
    processEnv: withoutSecrets(env),
    faults: options.faults,
  });
  return { deps, config, env, logger, aciApiFor, queueClient, poisonClient };
}

function queueName(env: Env): string {
  const name = blank(env.PUSHPOOL_QUEUE_NAME);
  if (!name) throw new ConfigError("PUSHPOOL_QUEUE_NAME is not set: the dispatch Storage Queue's name");
  return name;
}

/** The account's queue service by the app's identity, as the host's own trigger reaches it. */
function queueServiceFromEnv(env: Env): QueueServiceClient {
  const uri = blank(env.AzureWebJobsStorage__queueServiceUri);
  if (!uri)
    throw new ConfigError(
      "AzureWebJobsStorage__queueServiceUri is not set: the storage account's queue endpoint (https://<account>.queue.core.windows.net)",
    );
  const clientId = blank(env.AZURE_CLIENT_ID);
  return new QueueServiceClient(
    uri,
    new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {}),
  );
}

/** The Storage Queue, made on first send (the poison timer never sends). */
function lazyQueue(client: () => QueueClient): Queue {
  let queue: StorageQueue | undefined;
  return {
    maxDelaySeconds: MAX_STORAGE_QUEUE_DELAY_SECONDS,
    async send(message, options) {
      queue ??= new StorageQueue(client());
      await queue.send(message, options);
    },
  };
}

const instance = perInstance(
  () => createRuntime(),
  (rt: AzureRuntime) =>
    checkAtStart(rt, nodeFetch, "this invocation fails and a queue message returns to the queue"),
);

/**
 * The runtime of this function instance, built on first use from `process.env` and checked once
 * (core/runtime/instance.ts): a failed build or check is not cached, the next invocation tries again.
 */
export function runtime(): Promise<AzureRuntime> {
  return instance.get();
}

/** The start-up checks of a cold start (core/runtime/instance.ts). */
export function checkedOnce(rt: AzureRuntime): Promise<AzureRuntime> {
  return checkAtStart(rt, nodeFetch, "this invocation fails and a queue message returns to the queue");
}

/** Tests: forget the cached runtime (the next invocation rebuilds it from `process.env`). */
export function resetRuntime(): void {
  instance.reset();
}

function blank(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

/** Platform secrets of a Function App (identity endpoint headers, a service principal's secret). */
const PLATFORM_SECRETS = ["AZURE_CLIENT_SECRET", "IDENTITY_HEADER", "MSI_SECRET", "AzureWebJobsStorage"];

/** `{{ $VAR }}` placeholders must not read pushpool's own secrets or the platform's. */
function withoutSecrets(env: Env): Env {
  const copy = { ...env };
  for (const name of [...SECRET_SETTINGS, ...PLATFORM_SECRETS]) delete copy[name];
  return copy;
}
