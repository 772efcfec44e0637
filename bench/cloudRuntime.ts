/**
 * @module
 * What a pushpool function instance builds at cold start, for the Cloud Run and ACI benches
 * (`npm run bench:gcp`, `npm run bench:azure`): core's {@link buildDeps} over the cloud's backend
 * (the real SDK adapter of functions/<cloud>/ pointed at the bench's fake), the Prefect client
 * from the environment with its read cache, and a queue port. Both the tick (in the bench's own
 * process) and the dispatcher child (bench/cloudDispatcher.ts) build their deps here, from the same
 * environment, as two function instances would.
 *
 * It drives core directly instead of functions/gcp / functions/azure's wiring, which are written
 * in parallel: once they exist, {@link cloudDeps} is the one place to point at their runtimes.
 */
import gax from "google-gax";
import { AciBackend } from "../core/backends/azure-container-instance/index.ts";
import { CloudRunBackend } from "../core/backends/cloud-run-v2/index.ts";
import type { Backend } from "../core/ports/backend.ts";
import { systemClock } from "../core/ports/clock.ts";
import type { Logger } from "../core/ports/logger.ts";
import type { Queue } from "../core/ports/queue.ts";
import { prefectClientFromEnv } from "../core/prefect/fromEnv.ts";
import type { RequestInfo } from "../core/prefect/http.ts";
import { withReadCache } from "../core/prefect/readCache.ts";
import { buildDeps } from "../core/runtime/buildDeps.ts";
import { type Config, loadConfig } from "../core/runtime/config.ts";
import type { Deps } from "../core/runtime/deps.ts";
import { cloudRunApiFactory } from "../functions/gcp/cloudRunApi.ts";

/** Where a side's backend finds its fake cloud (JSON: it crosses to the dispatcher child). */
export type CloudTarget =
  | { cloud: "gcp"; port: number }
  | { cloud: "azure"; endpoint: string; caPem: string };

/** Warnings and errors as JSON lines on stderr (the child's log file); nothing here is secret. */
export function stderrLogger(name: string): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) =>
    process.stderr.write(
      `${JSON.stringify({ at: new Date().toISOString(), name, level, message, ...fields })}\n`,
    );
  return {
    debug() {},
    info() {},
    warn: (m, f) => line("warn", m, f),
    error: (m, f) => line("error", m, f),
  };
}

async function backendFor(target: CloudTarget, logger: Logger): Promise<Backend> {
  if (target.cloud === "gcp")
    return new CloudRunBackend({
      logger,
      cloudRunApiFor: cloudRunApiFactory({
        apiEndpoint: "127.0.0.1",
        port: target.port,
        protocol: "http",
        // The fake checks no token; Google's clients would fetch one per hour.
        authClient: new gax.googleAuthLibrary.PassThroughClient(),
      }),
    });
  // Loaded only for Azure: the bench of one cloud does not pay for the other's SDK.
  const { aciApiFactory } = await import("../functions/azure/aciApi.ts");
  const { Agent } = await import("node:https");
  const agent = new Agent({ ca: target.caPem, keepAlive: true });
  const credential = {
    getToken: async () => ({ token: "bench", expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  return new AciBackend({
    logger,
    aciApiFor: aciApiFactory({ endpoint: target.endpoint, agent, credential }),
  });
}

export interface CloudRuntime {
  deps: Deps;
  config: Config;
}

export async function cloudDeps(o: {
  target: CloudTarget;
  env: Record<string, string | undefined>;
  queue: Queue;
  logger: Logger;
  onPrefectRequest?: (info: RequestInfo) => void;
}): Promise<CloudRuntime> {
  const config = loadConfig(o.env);
  const api = withReadCache(
    prefectClientFromEnv(o.env, { logger: o.logger, onRequest: o.onPrefectRequest }),
    { clock: systemClock },
  );
  const deps = buildDeps({
    config,
    api,
    backends: [await backendFor(o.target, o.logger)],
    queue: o.queue,
    logger: o.logger,
    processEnv: o.env,
  });
  return { deps, config };
}
