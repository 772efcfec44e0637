/**
 * @module
 * The process plumbing `npm run bench:aws` and `npm run bench:burst` share: the AWS environment
 * of a side (its recording proxy as endpoint, moto's dummy credentials), pushpool's dispatch
 * handler started as a child process (bench/awsDispatcher.ts: emulated Lambda instances behind
 * the emulated SQS event source) and stopped with its result, scheduled runs created a few at a
 * time with retries, the venv's versions, log tails.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FlowRun } from "../core/prefect/types.ts";
import { REPO_ROOT, VENV_BIN } from "../functions/local/prefectServer.ts";
import type { PrefectAdmin } from "../test/peers/helpers/prefectAdmin.ts";
import type { DispatcherResult, DispatcherSettings } from "./awsDispatcher.ts";
import { CREDENTIALS, REGION } from "./awsSetup.ts";

/** The AWS SDK / boto3 environment of one side: its endpoint (a recording proxy) and moto's credentials. */
export function awsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  };
}

export interface Dispatcher {
  pid: number;
  /** Asks the child to stop; resolves with what it recorded. */
  stop(timeoutMs?: number): Promise<DispatcherResult>;
  /** SIGTERM, unless it already exited. */
  kill(): void;
}

/**
 * bench/awsDispatcher.ts bundled with serverless.yml's esbuild options (minified ESM, code
 * splitting: the EC2 and Logs clients in chunks loaded on first use), so the function's CPU is that
 * of the code Lambda runs, not of tsx compiling TypeScript at run time (its loader thread and the
 * first dispatch's lazy imports made the first burst ~2× the next ones). Returns the entry's path.
 */
async function bundleDispatcher(source: string, nodeMajor: string): Promise<string> {
  const esbuild = await import("esbuild");
  const outdir = mkdtempSync(join(tmpdir(), "pushpool-bench-dispatcher-"));
  await esbuild.build({
    entryPoints: [source],
    bundle: true,
    // BENCH_AWS_MINIFY=0: readable names in a CPU profile (the function Lambda runs is minified).
    minify: process.env.BENCH_AWS_MINIFY !== "0",
    keepNames: true,
    sourcemap: false,
    format: "esm",
    platform: "node",
    target: `node${nodeMajor}`,
    mainFields: ["module", "main"],
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    banner: {
      js: "import { createRequire as __pushpoolCreateRequire } from 'node:module'; const require = __pushpoolCreateRequire(import.meta.url);",
    },
    outdir,
    logLevel: "warning",
  });
  return join(outdir, "awsDispatcher.mjs");
}

/**
 * bench/awsDispatcher.ts in a child process (bundled: {@link bundleDispatcher}; IPC), with the handlers' `env`;
 * resolves once its emulated Lambda instances and event source are ready.
 */
export async function startDispatcher(o: {
  env: Record<string, string>;
  settings: DispatcherSettings;
  logFile: string;
  /** The Node.js that runs it (default: this process's): its binary and version (`v22.…`). */
  node?: { path: string; version: string };
  nodeArgs?: string[];
  variant?: string;
  /** Run the harness as esbuild bundles it for Lambda (default), or from source under tsx (false). */
  bundled?: boolean;
}): Promise<Dispatcher> {
  const source = join(REPO_ROOT, "bench", "awsDispatcher.ts");
  const node = o.node ?? { path: process.execPath, version: process.version };
  const major = node.version.replace(/^v/, "").split(".")[0] ?? "";
  const entry = o.bundled === false ? ["--import", "tsx", source] : [await bundleDispatcher(source, major)];
  const spawned: ChildProcess = spawn(node.path, [...(o.nodeArgs ?? []), ...entry], {
    cwd: REPO_ROOT,
    env: {
      ...o.env,
      BENCH_AWS_DISPATCHER: JSON.stringify(o.settings),
      BENCH_AWS_VARIANT: o.variant ?? "",
      BENCH_AWS_EVENT_SOURCE: join(REPO_ROOT, "bench", "awsEventSource.ts"),
      ...(process.env.BENCH_AWS_TRACE ? { BENCH_AWS_TRACE: process.env.BENCH_AWS_TRACE } : {}),
    },
    stdio: ["ignore", openSync(o.logFile, "a"), openSync(o.logFile, "a"), "ipc"],
  });
  let exited = false;
  spawned.on("exit", () => {
    exited = true;
  });
  const kill = () => {
    if (!exited) spawned.kill("SIGTERM");
  };
  try {
    await new Promise<void>((ok, ko) => {
      const timer = setTimeout(
        () => ko(new Error(`the dispatcher did not start:\n${tailOf(o.logFile)}`)),
        60_000,
      );
      spawned.once("message", () => {
        clearTimeout(timer);
        ok();
      });
      spawned.once("exit", (code) => ko(new Error(`the dispatcher exited (${code}):\n${tailOf(o.logFile)}`)));
    });
  } catch (error) {
    kill();
    throw error;
  }
  return {
    pid: spawned.pid ?? 0,
    kill,
    stop: (timeoutMs = 30_000) =>
      new Promise<DispatcherResult>((ok, ko) => {
        const timer = setTimeout(() => ko(new Error("the dispatcher did not report")), timeoutMs);
        spawned.on("message", (m: { type?: string }) => {
          if (m?.type === "result") {
            clearTimeout(timer);
            ok(m as DispatcherResult);
          }
        });
        spawned.send({ type: "stop" });
      }),
  };
}

/**
 * Creates scheduled runs `concurrency` at a time, each retried (a SQLite server answers 503 to
 * bursts of writes); the idempotency key makes a retried create return the run it may have made.
 */
export async function createRuns<J>(
  admin: PrefectAdmin,
  jobs: readonly J[],
  concurrency: number,
  make: (job: J) => { deploymentId: string; name: string; key: string; scheduled: Date },
  created: (job: J, run: FlowRun) => void,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let j = next++; j < jobs.length; j = next++) {
        const job = jobs[j] as J;
        const m = make(job);
        const run = await retried(() =>
          admin.createFlowRun(m.deploymentId, {
            name: m.name,
            idempotency_key: m.key,
            scheduled_at: m.scheduled,
          }),
        );
        created(job, run);
      }
    }),
  );
}

/**
 * Retries `call` for up to about a minute (backoff 0.5 s, 1 s, … capped at 4 s): a SQLite-backed
 * server under the worker's polling once refused every attempt of a create for ~10 s (503), which
 * the bench's 8 attempts over 8 s did not outlast, and the bench died before measuring anything.
 */
export async function retried<T>(call: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(Math.min(500 * attempt, 4_000));
    }
  }
}

export function venvVersions(): { prefect: string; prefectAws: string; moto: string } {
  const r = spawnSync(
    join(VENV_BIN, "python"),
    [
      "-c",
      "import importlib.metadata as m; print(m.version('prefect'), m.version('prefect-aws'), m.version('moto'))",
    ],
    { encoding: "utf8" },
  );
  const [prefect = "?", prefectAws = "?", moto = "?"] = (r.stdout ?? "").trim().split(" ");
  return { prefect: `Prefect ${prefect}`, prefectAws, moto: `moto ${moto}` };
}

export function tailOf(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-40).join("\n") : "(no log)";
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
