/**
 * @module
 * What the Azure Functions end-to-end tests share: the real Prefect server (globalSetup), the
 * local ARM over TLS (./armFake.ts) reached by the REAL Azure SDK clients, azurite's queues
 * (./queueHost.ts), an `azure-container-instance` pool made from prefect-azure's own default base
 * job template with a deployment, the runtime built by the real `createRuntime`
 * (functions/azure/wiring.ts) with its log lines captured, and a driver that plays the Functions
 * host for the dispatch function.
 */
import { Agent } from "node:https";
import type { QueueClient } from "@azure/storage-queue";
import { inject } from "vitest";
import { parsePid } from "../../../core/backends/azure-container-instance/names.ts";
import type { Deployment, JsonObject, WorkPool } from "../../../core/prefect/types.ts";
import { makeDispatchHandler } from "../../../functions/azure/dispatch.ts";
import { MAX_DEQUEUE_COUNT } from "../../../functions/azure/hostSettings.ts";
import { type AzureRuntime, createRuntime } from "../../../functions/azure/wiring.ts";
import { aciTemplate, REQUIRED } from "../../unit/aci/render.ts";
import { PrefectAdmin, uniqueName } from "../helpers/prefectAdmin.ts";
import { type ArmFake, startArmFake } from "./armFake.ts";
import { azuriteQueueService, freshQueues, type PollResult, pollOnce } from "./queueHost.ts";

export const SUB = String(REQUIRED.subscription_id);
export const RG = String(REQUIRED.resource_group_name);
/** Distinctive secret values: no log line may contain them. */
export const SECRETS = {
  apiKey: "pnu_azureTestKey3c9e1f7a5b",
  authString: "admin:pp-azure-8a2d4c6e1b",
  webhook: "whsec-pushpool-azure-5e1c9a7b3d2f4608",
};

const fakeCredential = {
  getToken: async () => ({ token: "fake-arm-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export interface AzureWorld {
  arm: ArmFake;
  agent: Agent;
  admin: PrefectAdmin;
  pool: WorkPool;
  deployment: Deployment;
  queue: QueueClient;
  poison: QueueClient;
  env: Record<string, string>;
  logs: string[];
  runtime(extraEnv?: Record<string, string>): Promise<AzureRuntime>;
  /** A deployment of the pool with these job variables (over the required ones). */
  newDeployment(vars?: JsonObject): Promise<Deployment>;
  /** Plays the host until the queue is empty (or `rounds` receives came back empty). */
  drain(rt: AzureRuntime, options?: { rounds?: number }): Promise<PollResult>;
  /** The container group name behind a run's pid, once it has one. */
  groupOf(flowRunId: string): Promise<string | null>;
  close(): Promise<void>;
}

export async function azureWorld(prefix: string): Promise<AzureWorld> {
  const arm = await startArmFake({ stepMs: 100 });
  const agent = new Agent({ ca: arm.ca, keepAlive: true });
  const admin = new PrefectAdmin(inject("prefectApiUrl"));
  const pool = await admin.createWorkPool({
    name: uniqueName(`${prefix}-aci`),
    type: "azure-container-instance",
    base_job_template: aciTemplate as unknown as JsonObject,
  });
  const newDeployment = (vars: JsonObject = {}) =>
    admin.createDeployment({ work_pool_name: pool.name, job_variables: { ...REQUIRED, ...vars } });
  const deployment = await newDeployment();
  const service = azuriteQueueService();
  const { queue, poison } = await freshQueues(service, prefix);
  const env: Record<string, string> = {
    PREFECT_API_URL: inject("prefectApiUrl"),
    PREFECT_API_KEY: SECRETS.apiKey,
    PREFECT_API_AUTH_STRING: SECRETS.authString,
    PUSHPOOL_POOLS: pool.name,
    PUSHPOOL_QUEUE_NAME: queue.name,
    PUSHPOOL_TICK_SECONDS: "60",
    PUSHPOOL_CANCEL_GRACE_SECONDS: "0",
    PUSHPOOL_WEBHOOK_KEYS: JSON.stringify([
      { id: "ci", secret: SECRETS.webhook, allowJobVariables: ["env"] },
    ]),
  };
  const logs: string[] = [];
  const runtime = (extraEnv: Record<string, string> = {}) =>
    createRuntime({
      env: { PATH: process.env.PATH, ...env, ...extraEnv },
      azure: { endpoint: arm.endpoint, credential: fakeCredential, agent },
      queueService: service,
      logLevel: "debug",
      logWrite: (_level, line) => logs.push(line),
    });
  return {
    arm,
    agent,
    admin,
    pool,
    deployment,
    queue,
    poison,
    env,
    logs,
    runtime,
    newDeployment,
    async drain(rt, options = {}) {
      const dispatch = makeDispatchHandler(async () => rt);
      const total: PollResult = { received: 0, handled: 0, failed: 0, poisoned: 0 };
      let empty = 0;
      while (empty < (options.rounds ?? 2)) {
        const polled = await pollOnce(
          queue,
          (d) =>
            // As the host hands it with `dataType: "binary"` (functions/azure/index.ts).
            dispatch(Buffer.from(d.text, "utf8"), {
              invocationId: d.messageId,
              triggerMetadata: { dequeueCount: d.dequeueCount, id: d.messageId },
            } as never),
          { maxDequeueCount: MAX_DEQUEUE_COUNT, poison, retryVisibilitySeconds: 1 },
        );
        for (const k of ["received", "handled", "failed", "poisoned"] as const) total[k] += polled[k];
        if (polled.received === 0) {
          empty++;
          await new Promise((r) => setTimeout(r, 300));
        } else empty = 0;
      }
      return total;
    },
    async groupOf(flowRunId) {
      const pid = (await admin.readFlowRun(flowRunId))?.infrastructure_pid;
      return pid ? (parsePid(pid)?.group ?? null) : null;
    },
    async close() {
      agent.destroy();
      await arm.close();
      await queue.delete().catch(() => {});
      await poison.delete().catch(() => {});
    },
  };
}

/** Waits (generously, on a loaded machine) until `read` satisfies `done`; returns the last value. */
export async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}
