/**
 * @module
 * The push queue of `npm run bench:gcp` / `npm run bench:azure`, in the bench's own process: a
 * delayed queue (Cloud Tasks' `scheduleTime`, an Azure Storage Queue's visibility timeout) whose
 * due messages are pushed over IPC to the function process (bench/cloudDispatcher.ts), which it
 * starts and stops here. Delays are honoured to the millisecond (a timer per message): the clouds'
 * own delivery delay is not part of what the bench measures.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { join } from "node:path";
import type { Queue } from "../core/ports/queue.ts";
import { stringifyJson } from "../core/prefect/json.ts";
import { REPO_ROOT } from "../functions/local/prefectServer.ts";
import { tailOf } from "./awsHarness.ts";
import type { CloudDispatcherResult } from "./cloudDispatcher.ts";
import type { CloudTarget } from "./cloudRuntime.ts";

export interface CloudDispatcher {
  pid: number;
  /** The queue the tick sends to; its due messages reach the function. */
  queue: Queue;
  /** Messages enqueued (by the tick and by the function) and delivered so far. */
  counts(): { enqueued: number; delivered: number };
  /** Asks the function to finish what it handles; resolves with what it recorded. */
  stop(timeoutMs?: number): Promise<CloudDispatcherResult>;
  kill(): void;
}

export async function startCloudDispatcher(o: {
  target: CloudTarget;
  env: Record<string, string>;
  logFile: string;
  maxDelaySeconds: number;
}): Promise<CloudDispatcher> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "bench", "cloudDispatcher.ts")],
    {
      cwd: REPO_ROOT,
      env: {
        ...o.env,
        BENCH_CLOUD_TARGET: JSON.stringify(o.target),
        BENCH_CLOUD_MAX_DELAY_SECONDS: String(o.maxDelaySeconds),
      },
      stdio: ["ignore", openSync(o.logFile, "a"), openSync(o.logFile, "a"), "ipc"],
    },
  );
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  const timers = new Set<NodeJS.Timeout>();
  let enqueued = 0;
  let delivered = 0;
  const enqueue = (body: string, delaySeconds: number) => {
    enqueued++;
    const delay = Math.max(0, Math.min(delaySeconds, o.maxDelaySeconds)) * 1000;
    const timer = setTimeout(() => {
      timers.delete(timer);
      delivered++;
      if (!exited) child.send({ type: "message", body });
    }, delay);
    timers.add(timer);
  };
  child.on("message", (m: { type?: string; body?: string; delaySeconds?: number }) => {
    if (m?.type === "enqueue" && typeof m.body === "string") enqueue(m.body, m.delaySeconds ?? 0);
  });
  const kill = () => {
    for (const t of timers) clearTimeout(t);
    if (!exited) child.kill("SIGTERM");
  };
  try {
    await new Promise<void>((ok, ko) => {
      const timer = setTimeout(
        () => ko(new Error(`the dispatcher did not start:\n${tailOf(o.logFile)}`)),
        90_000,
      );
      child.once("message", () => {
        clearTimeout(timer);
        ok();
      });
      child.once("exit", (code) => ko(new Error(`the dispatcher exited (${code}):\n${tailOf(o.logFile)}`)));
    });
  } catch (error) {
    kill();
    throw error;
  }
  return {
    pid: child.pid ?? 0,
    queue: {
      maxDelaySeconds: o.maxDelaySeconds,
      async send(message, options) {
        enqueue(stringifyJson(message), options?.delaySeconds ?? 0);
      },
    },
    counts: () => ({ enqueued, delivered }),
    kill,
    stop: (timeoutMs = 60_000) =>
      new Promise<CloudDispatcherResult>((ok, ko) => {
        for (const t of timers) clearTimeout(t);
        const timer = setTimeout(() => ko(new Error("the dispatcher did not report")), timeoutMs);
        child.on("message", (m: { type?: string }) => {
          if (m?.type === "result") {
            clearTimeout(timer);
            ok(m as CloudDispatcherResult);
          }
        });
        child.send({ type: "stop" });
      }),
  };
}
