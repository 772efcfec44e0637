import { describe, expect, it } from "vitest";
import { dispatch } from "../../../core/runs/dispatch.ts";
import { reconcile } from "../../../core/runs/reconcile.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

function setup() {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool");
  const env = makeDeps(api);
  return { api, dep, ...env };
}

describe("reconcile", () => {
  it("crashes a Pending run whose infrastructure failed, with the exit-code explanation", async () => {
    const { api, dep, deps, backend, clock } = setup();
    const run = api.addRun(dep, clock.now());
    await dispatch({ v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "t" }, deps);
    const pid = api.runs.get(run.id)?.infrastructure_pid as string;
    backend.status.set(pid, { state: "failed", exitCode: 137 });
    const [result] = await reconcile(["pool"], deps);
    expect(result).toMatchObject({ flowRunId: run.id, action: "crashed" });
    expect(api.runs.get(run.id)?.state?.message).toMatch(/non-zero status code 137\. .*out of memory/);
  });

  it("inspects every in-flight run with its rendered configuration, reading each deployment once per pass", async () => {
    const { api, dep, deps, backend, clock } = setup();
    const runs = [api.addRun(dep, clock.now()), api.addRun(dep, clock.now()), api.addRun(dep, clock.now())];
    for (const run of runs)
      await dispatch({ v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "t" }, deps);
    api.calls.length = 0;
    const results = await reconcile(["pool"], deps);
    expect(results.map((r) => r.action)).toEqual(["none", "none", "none"]);
    expect(backend.inspected.map((i) => i.configured)).toEqual([true, true, true]);
    expect(api.calls.filter((c) => c.startsWith("readDeployment"))).toHaveLength(1);
  });

  it("a backend that inspects many at once gets every in-flight pid in one call; a failed item is that run's error", async () => {
    const { api, dep, deps, backend, clock } = setup();
    const runs = [api.addRun(dep, clock.now()), api.addRun(dep, clock.now()), api.addRun(dep, clock.now())];
    for (const run of runs)
      await dispatch({ v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "t" }, deps);
    const pids = runs.map((r) => api.runs.get(r.id)?.infrastructure_pid as string);
    const calls: string[][] = [];
    const many = Object.assign(Object.create(backend) as typeof backend, {
      inspectMany: async (items: readonly { pid: string }[]) => {
        calls.push(items.map((i) => i.pid));
        return items.map((i) =>
          i.pid === pids[1]
            ? { error: new Error("ThrottlingException: Rate exceeded") }
            : { status: i.pid === pids[2] ? { state: "gone" as const } : { state: "running" as const } },
        );
      },
    });
    const results = await reconcile(["pool"], { ...deps, backends: new Map([["process", many]]) });
    expect(calls).toHaveLength(1);
    expect([...(calls[0] ?? [])].sort()).toEqual([...pids].sort());
    expect(backend.inspected).toEqual([]);
    const byRun = new Map(results.map((r) => [r.flowRunId, r]));
    expect(byRun.get(runs[0]?.id ?? "")).toMatchObject({ action: "none" });
    expect(byRun.get(runs[1]?.id ?? "")).toMatchObject({
      action: "error",
      detail: expect.stringMatching(/Throttling/),
    });
    expect(byRun.get(runs[2]?.id ?? "")).toMatchObject({ action: "crashed" });
    expect(api.runs.get(runs[2]?.id ?? "")?.state_type).toBe("CRASHED");
    expect(api.runs.get(runs[1]?.id ?? "")?.state_type).toBe("PENDING");
  });

  it("crashes a Pending run whose infrastructure is gone", async () => {
    const { api, dep, deps, backend, clock } = setup();
    const run = api.addRun(dep, clock.now());
    await dispatch({ v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "t" }, deps);
    backend.status.set(api.runs.get(run.id)?.infrastructure_pid as string, { state: "gone" });
    await reconcile(["pool"], deps);
    expect(api.runs.get(run.id)?.state_type).toBe("CRASHED");
  });

  it("resubmits its own claim without a pid after the start timeout, then crashes it after twice that", async () => {
    const { api, dep, deps, backend, clock } = setup();
    const run = api.addRun(dep, clock.now());
    const crashing = { ...deps, faults: { afterClaim: () => Promise.reject(new Error("boom")) } };
    await expect(
      dispatch({ v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "t" }, crashing),
    ).rejects.toThrow();
    expect(await reconcile(["pool"], deps)).toEqual([{ flowRunId: run.id, action: "none" }]);
    clock.t += 61_000;
    expect((await reconcile(["pool"], deps))[0]).toMatchObject({ action: "resubmitted" });
    expect(backend.submits).toHaveLength(1);

    const stuck = api.addRun(dep, clock.now());
    await expect(
      dispatch({ v: 1, kind: "dispatch", flowRunId: stuck.id, pool: "pool", source: "t" }, crashing),
    ).rejects.toThrow();
    clock.t += 121_000;
    const results = await reconcile(["pool"], deps);
    expect(results.find((r) => r.flowRunId === stuck.id)).toMatchObject({ action: "crashed" });
    expect(api.runs.get(stuck.id)?.state?.message).toMatch(/did not start within/);
  });

  it("leaves a foreign Pending claim alone", async () => {
    const { api, dep, deps, clock } = setup();
    const run = api.addRun(dep, clock.now());
    await api.setState(run.id, { type: "PENDING", name: "Pending", message: null, state_details: {} });
    clock.t += 3_600_000;
    expect(await reconcile(["pool"], deps)).toEqual([{ flowRunId: run.id, action: "none" }]);
    expect(api.runs.get(run.id)?.state_type).toBe("PENDING");
  });

  it("kills the infrastructure of a Cancelling run that has not started, then cancels it", async () => {
    const { api, dep, deps, backend, clock } = setup();
    const run = api.addRun(dep, clock.now());
    await dispatch({ v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "t" }, deps);
    await api.setState(run.id, { type: "CANCELLING", name: "Cancelling", state_details: {} }, true);
    const [result] = await reconcile(["pool"], deps);
    expect(result).toMatchObject({ action: "cancelled" });
    expect(backend.killed).toEqual([api.runs.get(run.id)?.infrastructure_pid]);
    expect(api.runs.get(run.id)?.state_type).toBe("CANCELLED");
  });

  it("gives a started Cancelling run's own runner the cancel grace before killing it (core/runs/cancel.ts)", async () => {
    const { api, dep, deps, backend, clock } = setup();
    const run = api.addRun(dep, clock.now(), {
      start_time: clock.now().toISOString(),
      infrastructure_pid: "pid-x",
    });
    await api.setState(run.id, { type: "CANCELLING", name: "Cancelling", state_details: {} }, true);
    expect(await reconcile(["pool"], deps)).toEqual([
      { flowRunId: run.id, action: "none", detail: "cancel grace" },
    ]);
    expect(backend.killed).toHaveLength(0);
  });
});
