/**
 * The real `pushpool` command as a subprocess, for the CLI's end-to-end tests: one-shot calls and
 * a long-running `pushpool local` whose stdout (flow output) and stderr (logs, banner) are kept.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT, VENV_BIN } from "../../functions/local/prefectServer.ts";

export const BIN = join(REPO_ROOT, "functions", "local", "bin", "pushpool.js");

/** This process's environment minus Prefect/pushpool settings, with the venv first on PATH. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("PREFECT_") && !k.startsWith("PUSHPOOL_")) env[k] = v;
  return { ...env, PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`, ...extra };
}

export function pushpool(args: string[], env: Record<string, string | undefined>) {
  return spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8", timeout: 60_000 });
}

export interface RunningLocal {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Waits until `text` is in stderr (or throws with the output when the process ends first). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function startLocal(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<RunningLocal> {
  const child = spawn(process.execPath, [BIN, "local", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const running: RunningLocal = {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      const found = () => (typeof text === "string" ? err.includes(text) : text.test(err));
      while (!found()) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`pushpool local: no ${String(text)} (exit ${child.exitCode}):\n${err}\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return await exited;
    },
  };
  await running.waitFor("local stack running");
  return running;
}
