/**
 * @module
 * Benchmark set-up and read-back over plain REST (as test/e2e/harness.ts does): work pools are
 * created with Prefect's own CLI (so they carry Prefect's default `process` base job template, as
 * in the guide), a deployment of examples/flows/hello.py per pool, runs created in the SCHEDULED
 * state with an explicit `scheduled_time` (their `expected_start_time`), and the final runs and
 * their state history read back once everything is terminal.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { FlowRun, State } from "../core/prefect/types.ts";
import { PREFECT_BIN, REPO_ROOT } from "../functions/local/prefectServer.ts";

export const FLOWS_DIR = join(REPO_ROOT, "examples", "flows");
export const TERMINAL = new Set(["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]);

export class Rest {
  constructor(readonly apiUrl: string) {}

  /** JSON over HTTP; retries the server's retryable 503 (SQLite busy) a few times. */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status === 503 && attempt < 6) {
        await new Promise((r) => setTimeout(r, 250 * attempt));
        continue;
      }
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    }
  }

  /** `prefect work-pool create <name> --type process`, with the pinned CLI. */
  createProcessPool(name: string, env: NodeJS.ProcessEnv): void {
    const r = spawnSync(PREFECT_BIN, ["work-pool", "create", name, "--type", "process"], {
      env,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`prefect work-pool create ${name} failed:\n${r.stderr}${r.stdout}`);
  }

  async createDeployment(
    pool: string,
    name: string,
    jobVariables: Record<string, unknown> = {},
  ): Promise<string> {
    const flow = await this.call<{ id: string }>("POST", "/flows/", { name: "hello" });
    const dep = await this.call<{ id: string }>("POST", "/deployments/", {
      name,
      flow_id: flow.id,
      work_pool_name: pool,
      entrypoint: "hello.py:hello",
      pull_steps: [{ "prefect.deployments.steps.set_working_directory": { directory: FLOWS_DIR } }],
      parameters: { name: name },
      job_variables: jobVariables,
    });
    return dep.id;
  }

  async createScheduledRun(deploymentId: string, name: string, scheduledTime: Date): Promise<FlowRun> {
    return await this.call<FlowRun>("POST", `/deployments/${deploymentId}/create_flow_run`, {
      name,
      state: { type: "SCHEDULED", state_details: { scheduled_time: scheduledTime.toISOString() } },
    });
  }

  async runsOf(deploymentIds: string[]): Promise<FlowRun[]> {
    const out: FlowRun[] = [];
    for (let offset = 0; ; offset += 200) {
      const page = await this.call<FlowRun[]>("POST", "/flow_runs/filter", {
        deployments: { id: { any_: deploymentIds } },
        sort: "EXPECTED_START_TIME_ASC",
        limit: 200,
        offset,
      });
      out.push(...page);
      if (page.length < 200) return out;
    }
  }

  async states(flowRunId: string): Promise<State[]> {
    return await this.call<State[]>("GET", `/flow_run_states/?flow_run_id=${flowRunId}`);
  }

  /** Polls until every run of the deployments is terminal, or the deadline passes. */
  async waitTerminal(deploymentIds: string[], expected: number, deadline: number): Promise<FlowRun[]> {
    for (;;) {
      const runs = await this.runsOf(deploymentIds);
      const done = runs.filter((r) => TERMINAL.has(r.state_type ?? ""));
      if (done.length >= expected || Date.now() > deadline) return runs;
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

/** Epoch ms of the first state of `type` in a run's history, or NaN. */
export function firstStateAt(states: readonly State[], type: string): number {
  const times = states
    .filter((s) => s.type === type && typeof s.timestamp === "string")
    .map((s) => Date.parse(s.timestamp as string));
  return times.length ? Math.min(...times) : Number.NaN;
}
