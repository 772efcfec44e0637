/**
 * Shared set-up for the end-to-end suites: a real Prefect server (from globalSetup), REST helpers
 * to create pools, deployments and runs, and a local stack wired to it.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { inject } from "vitest";
import type { LogFields, Logger } from "../../core/ports/logger.ts";
import type { FlowRun, StateType } from "../../core/prefect/types.ts";
import { loadConfig } from "../../core/runtime/config.ts";
import type { Faults } from "../../core/runtime/deps.ts";
import { REPO_ROOT, VENV_BIN } from "../../functions/local/prefectServer.ts";
import { type LocalStack, startLocalStack } from "../../functions/local/stack.ts";

export const FLOWS_DIR = join(REPO_ROOT, "examples", "flows");

export function apiUrl(): string {
  return inject("prefectApiUrl");
}

/** Plain REST for test set-up; retries the server's 503 (SQLite busy) and dropped keep-alive sockets. */
export async function rest<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${apiUrl()}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      // A keep-alive socket the server closed just as it was reused ("other side closed").
      if (attempt >= 5) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
      continue;
    }
    const text = await res.text();
    if (res.status === 503 && attempt < 5) {
      await new Promise((r) => setTimeout(r, 200 * attempt));
      continue;
    }
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

export async function createProcessPool(name = `pool-${randomUUID().slice(0, 8)}`): Promise<string> {
  await rest("POST", "/work_pools/", { name, type: "process" });
  return name;
}

export interface DeploymentOptions {
  pool: string;
  flowName?: string;
  name?: string;
  parameters?: Record<string, unknown>;
  jobVariables?: Record<string, unknown>;
  concurrencyLimit?: number;
}

export async function createDeployment(
  o: DeploymentOptions,
): Promise<{ id: string; flowId: string; ref: string }> {
  const flowName = o.flowName ?? "hello";
  const flow = await rest<{ id: string }>("POST", "/flows/", { name: flowName });
  const name = o.name ?? `dep-${randomUUID().slice(0, 8)}`;
  const dep = await rest<{ id: string }>("POST", "/deployments/", {
    name,
    flow_id: flow.id,
    work_pool_name: o.pool,
    entrypoint: "hello.py:hello",
    pull_steps: [{ "prefect.deployments.steps.set_working_directory": { directory: FLOWS_DIR } }],
    parameters: o.parameters ?? {},
    job_variables: o.jobVariables ?? {},
    ...(o.concurrencyLimit !== undefined ? { concurrency_limit: o.concurrencyLimit } : {}),
  });
  return { id: dep.id, flowId: flow.id, ref: `${flowName}/${name}` };
}

export async function createRun(deploymentId: string, body: Record<string, unknown> = {}): Promise<FlowRun> {
  return await rest<FlowRun>("POST", `/deployments/${deploymentId}/create_flow_run`, body);
}

export async function readRun(id: string): Promise<FlowRun> {
  return await rest<FlowRun>("GET", `/flow_runs/${id}`);
}

export async function setState(
  id: string,
  type: StateType,
  name: string,
  message: string | null,
  force = false,
) {
  return await rest<{ status: string }>("POST", `/flow_runs/${id}/set_state`, {
    state: { type, name, message, state_details: { flow_run_id: id, transition_id: randomUUID() } },
    force,
  });
}

/** Polls until the run is in one of the given state types (or the timeout passes). */
export async function waitForState(id: string, types: StateType[], timeoutMs = 60_000): Promise<FlowRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await readRun(id);
    if (run.state_type && types.includes(run.state_type)) return run;
    if (Date.now() > deadline)
      throw new Error(
        `run ${id} is ${run.state_type}/${run.state_name} (${run.state?.message ?? ""}), wanted ${types.join("|")}`,
      );
    await new Promise((r) => setTimeout(r, 300));
  }
}

export const TERMINAL: StateType[] = ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"];

/** A logger that keeps every line (tests assert on what was logged, and that no secret was). */
export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) =>
    lines.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ""}`);
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export interface StackOptions {
  pools: string[];
  faults?: Faults;
  startTimeoutSeconds?: number;
  webhookSecret?: string;
  allowJobVariables?: string[];
  deployments?: string[];
  extraEnv?: Record<string, string>;
  retryDelayMs?: number;
}

export async function localStack(
  o: StackOptions,
): Promise<LocalStack & { logger: ReturnType<typeof captureLogger> }> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`,
    PREFECT_API_URL: apiUrl(),
    PUSHPOOL_POOLS: o.pools.join(","),
    PUSHPOOL_TICK_SECONDS: "1",
    PUSHPOOL_START_TIMEOUT_SECONDS: String(o.startTimeoutSeconds ?? 300),
    ...o.extraEnv,
  };
  const logger = captureLogger();
  const stack = await startLocalStack({
    config: loadConfig(env),
    env,
    logger,
    autoTick: false,
    faults: o.faults,
    queue: { retryDelayMs: o.retryDelayMs ?? 200 },
    write: () => {},
    webhook: o.webhookSecret
      ? {
          keys: [
            {
              id: "ci",
              secret: o.webhookSecret,
              deployments: o.deployments,
              allowJobVariables: o.allowJobVariables ?? [],
            },
          ],
        }
      : undefined,
  });
  return Object.assign(stack, { logger });
}
