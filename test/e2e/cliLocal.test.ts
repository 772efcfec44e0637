/**
 * `pushpool local` as `prefect worker start`: --work-queue, --name and --limit take effect against
 * the real Prefect server; the console reads well (flow output under the run's name, one line per
 * event in order); Ctrl-C/SIGTERM says what became of the flows still running.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowRun } from "../../core/prefect/types.ts";
import { cleanEnv, type RunningLocal, startLocal } from "./cliProcess.ts";
import {
  apiUrl,
  createProcessPool,
  createRun,
  FLOWS_DIR,
  rest,
  setState,
  TERMINAL,
  waitForState,
} from "./harness.ts";

let pool: string;
let local: RunningLocal;

async function deployment(queue: string, jobVariables: Record<string, unknown> = {}): Promise<string> {
  const flow = await rest<{ id: string }>("POST", "/flows/", { name: "hello" });
  const dep = await rest<{ id: string }>("POST", "/deployments/", {
    name: `cli-${queue}-${randomUUID().slice(0, 8)}`,
    flow_id: flow.id,
    work_pool_name: pool,
    work_queue_name: queue,
    entrypoint: "hello.py:hello",
    pull_steps: [{ "prefect.deployments.steps.set_working_directory": { directory: FLOWS_DIR } }],
    job_variables: jobVariables,
  });
  return dep.id;
}

const lines = (text: string) => text.split("\n");

beforeAll(async () => {
  pool = await createProcessPool();
  for (const name of ["q1", "q2"]) await rest("POST", `/work_pools/${pool}/queues/`, { name });
  local = await startLocal(
    ["--pool", pool, "--work-queue", "q1", "--name", "e2e-laptop", "--limit", "1", "--tick", "1"],
    cleanEnv({ PREFECT_API_URL: apiUrl() }),
  );
});

afterAll(async () => {
  await local?.stop();
});

describe("pushpool local, as prefect worker start", () => {
  let slow: FlowRun[];
  let crash: FlowRun;
  let other: FlowRun;

  it("--work-queue, --name and --limit take effect; output and events read in order", async () => {
    expect(local.stderr()).toContain(`worker 'e2e-laptop' serving '${pool}'`);
    expect(local.stderr()).toContain("  limit        1 flow run at once");
    const q1 = await deployment("q1");
    const q2 = await deployment("q2");
    const crashing = await deployment("q1", { command: "sh -c 'echo boom-from-flow; exit 3'" });
    slow = [
      await createRun(q1, { parameters: { name: "first", sleep: 2 } }),
      await createRun(q1, { parameters: { name: "second", sleep: 2 } }),
    ];
    other = await createRun(q2, { parameters: { name: "other queue" } });
    crash = await createRun(crashing);

    const done = await Promise.all(slow.map((r) => waitForState(r.id, TERMINAL, 150_000)));
    expect(done.map((r) => r.state_type)).toEqual(["COMPLETED", "COMPLETED"]);
    expect((await waitForState(crash.id, TERMINAL, 150_000)).state_type).toBe("CRASHED");

    // --work-queue q1: the q2 run was never taken.
    expect((await waitForState(other.id, ["SCHEDULED"])).state_type).toBe("SCHEDULED");
    // --limit 1: the two runs did not run at the same time.
    const [a, b] = done as [FlowRun, FlowRun];
    const [first, second] = Date.parse(a.start_time ?? "") < Date.parse(b.start_time ?? "") ? [a, b] : [b, a];
    expect(Date.parse(first.end_time ?? "")).toBeLessThanOrEqual(Date.parse(second.start_time ?? ""));
    // --name: the worker that heartbeats and the label the runs carry.
    const workers = await rest<{ name: string }[]>("POST", `/work_pools/${pool}/workers/filter`, {});
    expect(workers.map((w) => w.name)).toContain("e2e-laptop");
    // The labels PATCH is best effort (core/prefect/client.ts LABEL_RETRIES): a run whose PATCH a
    // busy SQLite server refused (never retried) carries none, but no run carries another worker's name.
    const named = [a, b].map((r) => r.labels?.["prefect.worker.name"]);
    expect(named).toContain("e2e-laptop");
    for (const name of named) expect([undefined, "e2e-laptop"]).toContain(name);

    // Flow output under the run's name, not the id's first characters.
    const out = local.stdout();
    expect(out).toContain(`[${crash.name}] boom-from-flow`);
    expect(lines(out).some((l) => l.startsWith(`[${a.name}] `) && l.includes("pushpool says: Hello, "))).toBe(
      true,
    );
    for (const r of [a, b, crash]) expect(out).not.toContain(`[${r.id.slice(0, 8)}]`);

    // One line per event, in order: the crash is reported once, after the run was submitted.
    const err = lines(local.stderr());
    const submitted = err.findIndex((l) => l.includes("flow run submitted") && l.includes(crash.id));
    const crashed = err.filter(
      (l) => l.includes("infrastructure exited; run crashed") && l.includes(crash.id),
    );
    expect(submitted).toBeGreaterThanOrEqual(0);
    expect(crashed).toHaveLength(1);
    expect(err.indexOf(crashed[0] as string)).toBeGreaterThan(submitted);
  });

  it("SIGTERM: stopping… then what became of the flow still running", async () => {
    const q1 = await deployment("q1");
    const long = await createRun(q1, { parameters: { name: "long", sleep: 120 } });
    await waitForState(long.id, ["RUNNING"], 120_000);
    expect(await local.stop()).toBe(0);
    expect(local.stderr()).toContain("pushpool local: stopping…\n");
    expect(local.stderr()).toContain(
      "pushpool local: stopped; 1 flow run was still running and was killed (their runs are marked Crashed the next time pushpool local serves the pool).",
    );
    await setState(long.id, "CANCELLED", "Cancelled", "test clean-up", true);
    await setState(other.id, "CANCELLED", "Cancelled", "test clean-up", true);
  });
});
