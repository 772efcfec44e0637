/**
 * @module
 * azurite's queue service (the pinned npm package) as the Storage Queues peer: started once per
 * test run by test/peers/globalSetup.ts on a free loopback port, in memory, with the two flags
 * `@azure/storage-queue` needs (../shared/reference/ecosystem.md §4). Tests reach it through
 * `azuriteQueueService()` (./queueHost.ts; the connection string is provided as `azuriteQueues`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { QueueServiceClient } from "@azure/storage-queue";
import { freePort } from "../../../functions/local/prefectServer.ts";

/** azurite's well-known development account (public, documented by Microsoft). */
const ACCOUNT = "devstoreaccount1";
const ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteQueues {
  /** A connection string for `QueueServiceClient.fromConnectionString`. */
  connectionString: string;
  stop(): Promise<void>;
}

export function connectionStringFor(endpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};QueueEndpoint=${endpoint}/${ACCOUNT};`;
}

export async function startAzuriteQueues(timeoutMs = 60_000): Promise<AzuriteQueues> {
  const bin = join(import.meta.dirname, "..", "..", "..", "node_modules", ".bin", "azurite-queue");
  if (!existsSync(bin))
    throw new Error(`azurite-queue is missing at ${bin}: the azurite dev dependency is not installed.`);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let log = "";
  const args = ["--queueHost", "127.0.0.1", "--queuePort", String(port), "--inMemoryPersistence"];
  const child: ChildProcess = spawn(bin, [...args, "--skipApiVersionCheck", "--disableTelemetry"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8" },
  });
  child.stdout?.on("data", (d) => (log = (log + d).slice(-4000)));
  child.stderr?.on("data", (d) => (log = (log + d).slice(-4000)));
  let exited: number | null = null;
  child.on("exit", (code) => (exited = code ?? -1));
  const stop = async () => {
    if (exited === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  };
  const connectionString = connectionStringFor(endpoint);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && exited === null) {
    try {
      await QueueServiceClient.fromConnectionString(connectionString).getProperties();
      return { connectionString, stop };
    } catch {}
    await new Promise((r) => setTimeout(r, 150));
  }
  await stop();
  throw new Error(`azurite-queue did not start on ${endpoint} (exit ${exited}):\n${log}`);
}
