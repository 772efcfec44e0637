/**
 * @module
 * Starts moto (pinned in .venv/, see functions/local/requirements.txt) on a free loopback port:
 * the AWS peer for ECS, SQS, EC2, CloudWatch Logs and Secrets Manager. One per test run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, VENV_BIN } from "../../functions/local/prefectServer.ts";

export interface MotoServer {
  endpoint: string;
  /** POST /moto-api/reset: forget every resource. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMotoServer(timeoutMs = 60_000): Promise<MotoServer> {
  const bin = join(VENV_BIN, "moto_server");
  if (!existsSync(bin))
    throw new Error(`moto_server is missing at ${bin}. Run 'npm run setup' (npm test does it first).`);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let log = "";
  const child: ChildProcess = spawn(bin, ["-H", "127.0.0.1", "-p", String(port)], {
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
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && exited === null) {
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.ok) {
        return {
          endpoint,
          stop,
          async reset() {
            await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
          },
        };
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 150));
  }
  await stop();
  throw new Error(`moto_server did not start on ${endpoint}:\n${log}`);
}
