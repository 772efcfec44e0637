/**
 * @module
 * Prefect's own workers as the benchmarks' reference: `prefect worker start --pool <pool> --type
 * <type>` (`process` for `npm run bench`, `ecs` for `npm run bench:aws`) from the same pinned venv, with Prefect's default worker settings (poll every
 * 10 s, prefetch 10 s, heartbeat 30 s; nothing PREFECT_WORKER_* is set). Its output goes to a log
 * file. CPU is read from /proc/<pid>/stat (utime + stime of the worker process itself; the flow
 * processes it starts are its children and are not included, as the local stack's are not).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { PREFECT_BIN } from "../functions/local/prefectServer.ts";

export interface WorkerProcess {
  pid: number;
  logFile: string;
  /** CPU seconds (user + system) of the worker process so far, or null when /proc is unavailable. */
  cpuSeconds(): number | null;
  /** Last lines of the worker's output. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

export interface WorkerOptions {
  pool: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  apiUrl: string;
  /** ms to wait for the worker's first heartbeat. */
  timeoutMs?: number;
}

/** Prefect's `process` worker (`npm run bench`). */
export function startWorker(o: WorkerOptions): Promise<WorkerProcess> {
  return startPrefectWorker("process", o);
}

/** `prefect worker start --pool <pool> --type <type>`, once it has heartbeated. */
export async function startPrefectWorker(type: string, o: WorkerOptions): Promise<WorkerProcess> {
  const out = openSync(o.logFile, "a");
  const child: ChildProcess = spawn(PREFECT_BIN, ["worker", "start", "--pool", o.pool, "--type", type], {
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
  const ticks = clockTicks();
  const worker: WorkerProcess = {
    pid,
    logFile: o.logFile,
    tail,
    cpuSeconds: () => procCpuSeconds(pid, ticks),
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
    if (exited !== null) throw new Error(`the Prefect ${type} worker exited (${exited}):\n${tail()}`);
    if (await hasWorker(o.apiUrl, o.pool)) return worker;
    await sleep(500);
  }
  await worker.stop();
  throw new Error(`the Prefect ${type} worker did not heartbeat in time:\n${tail()}`);
}

/** True once a worker other than pushpool has heartbeated in the pool. */
async function hasWorker(apiUrl: string, pool: string): Promise<boolean> {
  try {
    const res = await fetch(`${apiUrl}/work_pools/${encodeURIComponent(pool)}/workers/filter`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    if (!res.ok) return false;
    const workers = (await res.json()) as { name: string }[];
    return workers.some((w) => w.name !== "pushpool");
  } catch {
    return false;
  }
}

/** utime + stime of one process, in seconds (fields 14 and 15 of /proc/<pid>/stat). */
export function procCpuSeconds(pid: number, ticksPerSecond: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return (utime + stime) / ticksPerSecond;
  } catch {
    return null;
  }
}

function clockTicks(): number {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(-pid, sig);
  } catch {}
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
