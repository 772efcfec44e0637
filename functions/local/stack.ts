/**
 * @module
 * The local stack: the same core code the cloud functions run, hosted in one Node process —
 * the tick (and reconcile) on an interval, an in-process queue with delayed delivery, the signed
 * webhook on an HTTP port, and the local backend serving `process` pools.
 */

import { reportProcessExit } from "../../core/backends/process/exitReport.ts";
import { LocalBackend, type ProcessExit } from "../../core/backends/process/index.ts";
import { processSettingsFromEnv } from "../../core/backends/process/settings.ts";
import { systemClock } from "../../core/ports/clock.ts";
import type { Logger } from "../../core/ports/logger.ts";
import type { PrefectApi } from "../../core/prefect/api.ts";
import { prefectClientFromEnv } from "../../core/prefect/fromEnv.ts";
import { withReadCache } from "../../core/prefect/readCache.ts";
import { type ReconcileResult, reconcile } from "../../core/runs/reconcile.ts";
import { tick } from "../../core/runs/tick.ts";
import { trigger } from "../../core/runs/trigger.ts";
import { buildDeps, tickOptions } from "../../core/runtime/buildDeps.ts";
import type { Config } from "../../core/runtime/config.ts";
import type { Deps, Faults } from "../../core/runtime/deps.ts";
import { handleMessage, type MessageOutcome } from "../../core/runtime/handleMessage.ts";
import { describeError } from "../../core/shared/errors.ts";
import { createRedactor, redactingLogger } from "../../core/shared/redact.ts";
import type { WebhookKey } from "../../core/webhook/config.ts";
import { flowEnvironment } from "./flowEnv.ts";
import { retriesAtDebug } from "./logger.ts";
import { LocalQueue } from "./queue.ts";
import { RunLimit } from "./runLimit.ts";
import { RunOrder } from "./runOrder.ts";
import { startWebhookServer, type WebhookServer } from "./webhookServer.ts";

export interface LocalStackOptions {
  config: Config;
  /** This process's environment: `{{ $VAR }}` lookups and what subprocesses inherit. */
  env: Record<string, string | undefined>;
  logger: Logger;
  /** Serve the signed webhook (keys from PUSHPOOL_WEBHOOK_SECRET / _KEYS). */
  webhook?: { keys: WebhookKey[]; port?: number; host?: string };
  /** Start the tick timer (default true). Tests drive `tickOnce` themselves. */
  autoTick?: boolean;
  api?: PrefectApi;
  faults?: Faults;
  /** Observe each handled message (tests, demo). */
  onOutcome?(outcome: MessageOutcome | { kind: "error"; error: string }): void;
  queue?: { maxReceives?: number; retryDelayMs?: number };
  /** Where subprocess output goes. */
  write?(line: string): void;
}

export interface LocalStack {
  deps: Deps;
  queue: LocalQueue;
  backend: LocalBackend;
  webhookUrl?: string;
  /** Flow processes this stack started that are still running. */
  running(): number;
  tickOnce(): Promise<{ reconciled: ReconcileResult[] }>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { config } = options;
  // Flows inherit this process's environment (as under Prefect's process worker), minus pushpool's own secrets.
  const flowEnv = flowEnvironment(options.env);
  const secrets = [
    config.prefect.apiKey,
    config.prefect.authString,
    ...(options.webhook?.keys.map((k) => k.secret) ?? []),
  ];
  const logger = redactingLogger(options.logger, createRedactor(secrets));
  // The client's retries are at debug, as Prefect's own client logs them; a call that fails for good says so.
  const api =
    options.api ??
    withReadCache(prefectClientFromEnv(options.env, { logger: retriesAtDebug(logger) }), {
      clock: systemClock,
    });

  let deps: Deps;
  const backend = new LocalBackend({
    inheritEnv: flowEnv,
    write: options.write,
    onExit: (exit) => onProcessExit(exit),
    ...processSettingsFromEnv(options.env),
  });
  const order = new RunOrder();
  let exited = 0;
  const limit = config.limit
    ? new RunLimit({
        limit: config.limit,
        started: () => backend.started.length,
        resend: (b) => queue.sendRaw(b),
      })
    : undefined;
  const queue = new LocalQueue({
    logger,
    maxReceives: options.queue?.maxReceives ?? 5,
    retryDelayMs: options.queue?.retryDelayMs ?? 1000,
    handler: async (body, attempt) => {
      const flowRunId = RunOrder.dispatchedRun(body);
      const release = flowRunId && limit ? limit.tryAcquire(flowRunId, body) : () => undefined;
      if (!release)
        return logger.debug("flow run limit reached; run waits", { flowRunId, limit: config.limit });
      try {
        const outcome = await order.dispatching(flowRunId, handleMessage(body, deps, { attempt }));
        options.onOutcome?.(outcome);
      } catch (error) {
        options.onOutcome?.({ kind: "error", error: describeError(error) });
        throw error;
      } finally {
        release();
      }
    },
  });
  deps = buildDeps({
    config,
    api,
    backends: [backend],
    queue,
    logger,
    processEnv: flowEnv,
    faults: options.faults,
  });

  // Processes killed by our own shutdown are not reported: the next stack's reconcile finds them gone.
  let stopping = false;
  // A fast exit is reported after its run's dispatch has logged "submitted": one line per event, in order.
  function onProcessExit(exit: ProcessExit) {
    exited++;
    limit?.onExit();
    if (!stopping) void order.afterDispatch(exit.flowRunId, () => reportProcessExit(exit, deps));
  }

  let webhook: WebhookServer | undefined;
  if (options.webhook) {
    webhook = await startWebhookServer(
      {
        keys: options.webhook.keys,
        logger,
        trigger: async (message) => await trigger(message, deps),
      },
      { port: options.webhook.port, host: options.webhook.host },
    );
  }

  let ticking: Promise<{ reconciled: ReconcileResult[] }> | null = null;
  const tickOnce = () => {
    ticking ??= (async () => {
      try {
        await tick(tickOptions(config), deps);
        return { reconciled: await reconcile(config.pools, deps) };
      } finally {
        ticking = null;
      }
    })();
    return ticking;
  };
  let timer: NodeJS.Timeout | undefined;
  if (options.autoTick !== false) {
    const run = () =>
      void tickOnce().catch((error) => logger.error("tick failed", { error: describeError(error) }));
    run();
    timer = setInterval(run, config.tickSeconds * 1000);
  }

  return {
    deps,
    queue,
    backend,
    webhookUrl: webhook?.url,
    running: () => backend.started.length - exited,
    tickOnce,
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      await ticking?.catch(() => undefined);
      await webhook?.close();
      queue.close();
      await backend.stopAll();
    },
  };
}
