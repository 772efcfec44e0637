/**
 * Reconcile forwards the log tail an inspected status carries (core/runs/crashLogs.ts) to the run
 * it crashes — and only then.
 */
import { describe, expect, it } from "vitest";
import { dispatch } from "../../../core/runs/dispatch.ts";
import { reconcile } from "../../../core/runs/reconcile.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

async function setup() {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool");
  const env = makeDeps(api);
  const run = api.addRun(dep, env.clock.now());
  await dispatch({ v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "t" }, env.deps);
  const pid = api.runs.get(run.id)?.infrastructure_pid as string;
  // What dispatch wrote to the run's logs ("submitting…", "Submitted…"); the tests look past it.
  const dispatched = api.logs.length;
  return { api, run, pid, dispatched, ...env };
}

describe("reconcile: crash logs from inspect", () => {
  it("a crashed run gets the container's last lines in its logs", async () => {
    const { api, run, pid, dispatched, deps, backend } = await setup();
    backend.status.set(pid, { state: "failed", exitCode: 1, logs: ["pip: no such package", "exit 1"] });
    await reconcile(["pool"], deps);
    expect(api.runs.get(run.id)?.state_type).toBe("CRASHED");
    const messages = api.logs
      .slice(dispatched)
      .filter((l) => l.flow_run_id === run.id)
      .map((l) => l.message);
    // The crash reason (core/runs/report.ts), then the container's last lines.
    expect(messages[0]).toMatch(/non-zero status code 1/);
    expect(messages.slice(1)).toEqual([
      "Last 2 line(s) of the container log before the crash:",
      "pip: no such package",
      "exit 1",
    ]);
  });

  it("nothing is forwarded when the run is not crashed (still running)", async () => {
    const { api, pid, dispatched, deps, backend } = await setup();
    backend.status.set(pid, { state: "running", logs: ["should not be sent"] });
    await reconcile(["pool"], deps);
    expect(api.logs).toHaveLength(dispatched);
  });

  it("a failing log write does not change the outcome", async () => {
    const { api, run, pid, deps, backend } = await setup();
    backend.status.set(pid, { state: "failed", exitCode: 1, logs: ["line"] });
    api.createLogs = async () => {
      throw new Error("503");
    };
    expect((await reconcile(["pool"], deps))[0]).toMatchObject({ action: "crashed" });
    expect(api.runs.get(run.id)?.state_type).toBe("CRASHED");
  });
});
