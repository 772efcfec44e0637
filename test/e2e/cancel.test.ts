/**
 * Cancelling a flow that is running, on a `process` pool served by the local stack, against the
 * real Prefect server: cancelled as `prefect flow-run cancel` does it (a Cancelling proposal), then
 * one tick → the run is Cancelled and its whole process group is gone. The engine, told through
 * the control channel that the SIGTERM is a cancellation, cancels the run itself (no Crashed on the
 * way), and the process's exit afterwards neither crashes the run nor logs a crash.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatch } from "../../core/runs/dispatch.ts";
import {
  createDeployment,
  createProcessPool,
  createRun,
  localStack,
  readRun,
  rest,
  setState,
  waitForState,
} from "./harness.ts";

let pool: string;
let stack: Awaited<ReturnType<typeof localStack>>;

beforeAll(async () => {
  pool = await createProcessPool();
  stack = await localStack({ pools: [pool] });
});
afterAll(async () => {
  await stack?.stop();
});

const msg = (flowRunId: string) => ({ v: 1, kind: "dispatch", flowRunId, pool, source: "test" }) as const;

/** True while any process of the group led by this `<host>:<pid>` is alive. */
function groupAlive(pid: string): boolean {
  const leader = Number(pid.split(":")[1]);
  try {
    process.kill(-leader, 0);
    return true;
  } catch {
    return false;
  }
}

/** Dispatches a 60 s flow, waits for it to run, cancels it, ticks once; returns what is needed to check. */
async function cancelRunningFlow(jobVariables: Record<string, unknown> = {}) {
  const dep = await createDeployment({ pool, parameters: { sleep: 60 }, jobVariables });
  const run = await createRun(dep.id);
  expect((await dispatch(msg(run.id), stack.deps)).outcome).toBe("submitted");
  const running = await waitForState(run.id, ["RUNNING"], 90_000);
  const pid = running.infrastructure_pid as string;
  expect(groupAlive(pid)).toBe(true);

  // `prefect flow-run cancel <id>`: set_state(State(type=CANCELLING)), not forced.
  expect((await setState(run.id, "CANCELLING", "Cancelling", null)).status).toBe("ACCEPT");
  const { reconciled } = await stack.tickOnce();
  return { run, pid, result: reconciled.find((r) => r.flowRunId === run.id) };
}

describe("cancelling a running flow on a process pool", () => {
  it("one tick kills the flow process and marks the run Cancelled, as Prefect's runner does", async () => {
    const { run, pid, result } = await cancelRunningFlow();
    expect(result).toMatchObject({ action: "cancelled" });
    const after = await readRun(run.id);
    expect(after.state_type).toBe("CANCELLED");
    expect(after.state_name).toBe("Cancelled");
    expect(groupAlive(pid)).toBe(false);
    expect((await stack.backend.inspect(pid)).state).not.toBe("running");

    // Told through the control channel, the engine cancelled the run itself: no Crashed in between.
    expect(result?.detail).toBe("infrastructure killed; the flow cancelled itself");
    expect(after.state?.message).toBe("Flow run was cancelled.");
    const history = await rest<{ type: string }[]>("GET", `/flow_run_states/?flow_run_id=${run.id}`);
    expect(history.map((s) => s.type)).not.toContain("CRASHED");
    const logs = await rest<{ message: string }[]>("POST", "/logs/filter", {
      logs: { flow_run_id: { any_: [run.id] } },
    });
    expect(logs.map((l) => l.message).join("\n")).not.toMatch(/Crash detected/);

    // The exit is reported after the cancellation: it must not crash the run, nor log a crash.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await readRun(run.id)).state_type).toBe("CANCELLED");
    const lines = stack.logger.lines.filter((l) => l.includes(run.id));
    expect(lines.filter((l) => l.includes("crashed"))).toEqual([]);
    expect(lines.filter((l) => l.includes('"action":"cancelled"'))).toHaveLength(1);
  });

  it("the kill reaches the flow's children (the whole process group)", async () => {
    // The flow's command leaves a child behind in its process group, as a flow's subprocess would.
    const { run, pid, result } = await cancelRunningFlow({
      command: "sh -c 'sleep 300 & exec python -m prefect.engine'",
    });
    expect(result).toMatchObject({ action: "cancelled" });
    expect((await readRun(run.id)).state_type).toBe("CANCELLED");
    expect(groupAlive(pid)).toBe(false);
  });
});
