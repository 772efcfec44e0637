/**
 * @module
 * Prefect's own ECS worker as the reference of `npm run bench:aws`: `prefect worker start --pool
 * <pool> --type ecs` from the pinned venv (prefect-aws), default worker settings (poll 10 s,
 * prefetch 10 s; nothing PREFECT_WORKER_* is set), boto3 pointed at a recording proxy in front of
 * moto through AWS_ENDPOINT_URL with dummy credentials. (bench/workerProcess.ts starts the
 * `process` worker; this is the same with `--type ecs`.) Output goes to a log file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { PREFECT_BIN } from "../functions/local/prefectServer.ts";

export interface EcsWorker {
  pid: number;
  logFile: string;
  tail(lines?: number): string;
  stop(): Promise<void>;
}

export async function startEcsWorker(o: {
  pool: string;
  env: NodeJS.ProcessEnv;
  apiUrl: string;
  logFile: string;
  timeoutMs?: number;
}): Promise<EcsWorker> {
  const out = openSync(o.logFile, "a");
  const child: ChildProcess = spawn(PREFECT_BIN, ["worker", "start", "--pool", o.pool, "--type", "ecs"], {
    env: o.env,
    stdio: ["ignore", out, out],
    detached: true,
  });
  let exited: number | null = null;
  child.on("exit", (code) => {
    exited = code ?? -1;
  });
  const pid = child.pid ?? 0;
  const tail = (lines = 30) => readFileSync(o.logFile, "utf8").split("\n").slice(-lines).join("\n");
  const worker: EcsWorker = {
    pid,
    logFile: o.logFile,
    tail,
    async stop() {
      if (exited !== null) return;
      signal(pid, "SIGTERM");
      const t0 = Date.now();
      while (exited === null && Date.now() - t0 < 15_000) await sleep(100);
      if (exited === null) signal(pid, "SIGKILL");
    },
  };
  const deadline = Date.now() + (o.timeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`the Prefect ECS worker exited (${exited}):\n${tail()}`);
    if (await hasWorker(o.apiUrl, o.pool)) return worker;
    await sleep(500);
  }
  await worker.stop();
  throw new Error(`the Prefect ECS worker did not heartbeat in time:\n${tail()}`);
}

async function hasWorker(apiUrl: string, pool: string): Promise<boolean> {
  try {
    const res = await fetch(`${apiUrl}/work_pools/${encodeURIComponent(pool)}/workers/filter`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    return res.ok && ((await res.json()) as unknown[]).length > 0;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(-pid, sig);
  } catch {}
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
