/**
 * Cancellation through `Backend.kill` (core/runs/cancel.ts), with the small fakes: the grace a
 * started run's own runner gets, a kill that finds nothing, a run that finished meanwhile, a kill
 * that fails and is retried on the next tick.
 */
import { describe, expect, it } from "vitest";
import { CANCEL_MESSAGES, DEFAULT_CANCEL_GRACE_SECONDS } from "../../../core/runs/cancel.ts";
import { dispatch } from "../../../core/runs/dispatch.ts";
import { reconcile } from "../../../core/runs/reconcile.ts";
import { reportExit } from "../../../core/runs/report.ts";
import { TransientError } from "../../../core/shared/errors.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

/** A run submitted to the fake backend, started by its flow, then cancelled (`prefect flow-run cancel`). */
async function cancellingRun(options: { started?: boolean } = {}) {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool");
  const env = makeDeps(api);
  const listed = api.addRun(dep, env.clock.now());
  await dispatch({ v: 1, kind: "dispatch", flowRunId: listed.id, pool: "pool", source: "t" }, env.deps);
  const run = api.runs.get(listed.id);
  if (!run?.infrastructure_pid) throw new Error("the fake dispatch recorded no pid");
  if (options.started !== false) {
    await api.setState(run.id, { type: "RUNNING", name: "Running", state_details: {} });
    run.start_time = env.clock.now().toISOString();
  }
  await api.setState(run.id, { type: "CANCELLING", name: "Cancelling", state_details: {} }, true);
  return { api, run, pid: run.infrastructure_pid, ...env };
}

describe("cancelling a started run", () => {
  it("leaves it to its own runner during the grace, measured from the Cancelling timestamp, then kills it", async () => {
    const { api, run, pid, deps, backend, clock } = await cancellingRun();
    clock.t += (DEFAULT_CANCEL_GRACE_SECONDS - 1) * 1000;
    expect(await reconcile(["pool"], deps)).toEqual([
      { flowRunId: run.id, action: "none", detail: "cancel grace" },
    ]);
    expect(backend.killed).toEqual([]);
    expect(api.runs.get(run.id)?.state_type).toBe("CANCELLING");

    clock.t += 1000;
    expect(await reconcile(["pool"], deps)).toEqual([
      { flowRunId: run.id, action: "cancelled", detail: "infrastructure killed" },
    ]);
    expect(backend.killed).toEqual([pid]);
    expect(api.runs.get(run.id)?.state).toMatchObject({
      type: "CANCELLED",
      name: "Cancelled",
      message: CANCEL_MESSAGES.started,
    });
  });

  it("uses the configured grace", async () => {
    const { run, deps, backend, clock } = await cancellingRun();
    deps.cancelGraceSeconds = 60;
    clock.t += 30_000;
    expect((await reconcile(["pool"], deps))[0]?.action).toBe("none");
    deps.cancelGraceSeconds = 0;
    expect((await reconcile(["pool"], deps))[0]).toMatchObject({ flowRunId: run.id, action: "cancelled" });
    expect(backend.killed).toHaveLength(1);
  });

  it("kills at once where pushpool supervises the process itself (Backend.supervised)", async () => {
    const { api, run, pid, deps, backend } = await cancellingRun();
    backend.supervised = true;
    expect((await reconcile(["pool"], deps))[0]).toMatchObject({ flowRunId: run.id, action: "cancelled" });
    expect(backend.killed).toEqual([pid]);
    expect(api.runs.get(run.id)?.state_type).toBe("CANCELLED");
  });

  it("marks it Cancelled when kill finds the infrastructure already gone", async () => {
    const { api, run, pid, deps, backend } = await cancellingRun();
    deps.cancelGraceSeconds = 0;
    backend.status.set(pid, { state: "gone" });
    expect(await reconcile(["pool"], deps)).toEqual([
      { flowRunId: run.id, action: "cancelled", detail: "infrastructure already gone" },
    ]);
    expect(backend.killed).toEqual([]);
    expect(api.runs.get(run.id)?.state).toMatchObject({
      type: "CANCELLED",
      message: CANCEL_MESSAGES.started,
    });
  });

  it.each([
    ["CANCELLED", "Cancelled"],
    ["COMPLETED", "Completed"],
  ] as const)(
    "neither kills nor touches a run that reached %s while the pass ran (its runner got there first)",
    async (type, name) => {
      const { api, run, deps, backend } = await cancellingRun();
      deps.cancelGraceSeconds = 0;
      const read = api.readFlowRun.bind(api);
      api.readFlowRun = async (id: string) => {
        if (id === run.id)
          await api.setState(id, { type, name, message: "by its runner", state_details: {} }, true);
        return await read(id);
      };
      expect(await reconcile(["pool"], deps)).toEqual([
        { flowRunId: run.id, action: "none", detail: `now ${type}` },
      ]);
      expect(backend.killed).toEqual([]);
      expect(api.runs.get(run.id)?.state).toMatchObject({ type, message: "by its runner" });
    },
  );

  it("does not force Cancelled again over the flow's own end (told by the control channel, or finished first)", async () => {
    for (const [type, name] of [
      ["CANCELLED", "Cancelled"],
      ["COMPLETED", "Completed"],
    ] as const) {
      const { api, run, deps, backend } = await cancellingRun();
      backend.supervised = true;
      backend.onKill = async () => {
        await api.setState(run.id, { type, name, message: "by the flow", state_details: {} }, true);
      };
      const [result] = await reconcile(["pool"], deps);
      expect(result).toMatchObject({
        flowRunId: run.id,
        action: type === "CANCELLED" ? "cancelled" : "none",
      });
      expect(backend.killed).toHaveLength(1);
      expect(api.runs.get(run.id)?.state).toMatchObject({ type, message: "by the flow" });
    }
  });

  it("forces Cancelled over the Crashed an engine proposes for an unexplained SIGTERM", async () => {
    const { api, run, deps, backend } = await cancellingRun();
    backend.supervised = true;
    backend.onKill = async () => {
      await api.setState(run.id, { type: "CRASHED", name: "Crashed", state_details: {} }, true);
    };
    expect((await reconcile(["pool"], deps))[0]).toMatchObject({
      action: "cancelled",
      detail: "infrastructure killed",
    });
    expect(api.runs.get(run.id)?.state).toMatchObject({
      type: "CANCELLED",
      message: CANCEL_MESSAGES.started,
    });
  });

  it("keeps it Cancelling when the kill fails, and kills it on the next tick", async () => {
    const { api, run, pid, deps, backend } = await cancellingRun();
    deps.cancelGraceSeconds = 0;
    backend.killFailWith = new TransientError("ThrottlingException: Rate exceeded", 2);
    const [first] = await reconcile(["pool"], deps);
    expect(first).toMatchObject({ flowRunId: run.id, action: "error" });
    expect(first?.detail).toMatch(/Rate exceeded/);
    expect(api.runs.get(run.id)?.state_type).toBe("CANCELLING");
    expect(backend.killed).toEqual([]);

    expect((await reconcile(["pool"], deps))[0]).toMatchObject({ flowRunId: run.id, action: "cancelled" });
    expect(backend.killed).toEqual([pid]);
    expect(api.runs.get(run.id)?.state_type).toBe("CANCELLED");
  });

  it("leaves a started run without a pid alone: there is nothing to kill", async () => {
    const { api, run, deps, backend } = await cancellingRun();
    const stored = api.runs.get(run.id);
    if (stored) stored.infrastructure_pid = null;
    deps.cancelGraceSeconds = 0;
    expect((await reconcile(["pool"], deps))[0]).toMatchObject({ action: "none" });
    expect(backend.killed).toEqual([]);
    expect(api.runs.get(run.id)?.state_type).toBe("CANCELLING");
  });

  it("an exit reported after the cancellation does not turn it into Crashed", async () => {
    const { api, run, pid, deps, backend } = await cancellingRun();
    backend.supervised = true;
    await reconcile(["pool"], deps);
    expect(await reportExit({ flowRunId: run.id, pid, exitCode: -15 }, deps)).toBe("untouched");
    expect(api.runs.get(run.id)?.state_type).toBe("CANCELLED");
  });
});

describe("what counts as a cancellation request", () => {
  it("a CANCELLED state named Cancelling (the older form Prefect's observer still looks for) is one", async () => {
    const { api, run, pid, deps, backend } = await cancellingRun();
    backend.supervised = true;
    await api.setState(run.id, { type: "CANCELLED", name: "Cancelling", state_details: {} }, true);
    expect(await reconcile(["pool"], deps)).toEqual([
      { flowRunId: run.id, action: "cancelled", detail: "infrastructure killed" },
    ]);
    expect(backend.killed).toEqual([pid]);
    expect(api.runs.get(run.id)?.state).toMatchObject({ type: "CANCELLED", name: "Cancelled" });
  });

  it("a Cancelled run is not: nothing is killed", async () => {
    const { api, run, deps, backend } = await cancellingRun();
    backend.supervised = true;
    await api.setState(run.id, { type: "CANCELLED", name: "Cancelled", state_details: {} }, true);
    expect(await reconcile(["pool"], deps)).toEqual([]);
    expect(backend.killed).toEqual([]);
  });
});

describe("cancelling a run that has not started (Prefect's worker rule)", () => {
  it("kills it at once, whatever the grace, with the worker's message", async () => {
    const { api, run, pid, deps, backend } = await cancellingRun({ started: false });
    deps.cancelGraceSeconds = 3600;
    expect((await reconcile(["pool"], deps))[0]).toMatchObject({ flowRunId: run.id, action: "cancelled" });
    expect(backend.killed).toEqual([pid]);
    expect(api.runs.get(run.id)?.state?.message).toBe(CANCEL_MESSAGES.pending);
  });

  it("without infrastructure → Cancelled at once, nothing killed", async () => {
    const { api, run, deps, backend } = await cancellingRun({ started: false });
    const stored = api.runs.get(run.id);
    if (stored) stored.infrastructure_pid = null;
    expect((await reconcile(["pool"], deps))[0]).toMatchObject({
      action: "cancelled",
      detail: "no infrastructure",
    });
    expect(backend.killed).toEqual([]);
    expect(api.runs.get(run.id)?.state?.message).toBe(CANCEL_MESSAGES.noInfrastructure);
  });

  it("whose deployment is gone → Cancelled with the worker's warning, nothing killed", async () => {
    const { api, run, deps, backend } = await cancellingRun({ started: false });
    api.deployments.clear();
    expect((await reconcile(["pool"], deps))[0]).toMatchObject({
      action: "cancelled",
      detail: "deployment gone",
    });
    expect(backend.killed).toEqual([]);
    expect(api.runs.get(run.id)?.state?.message).toBe(CANCEL_MESSAGES.deploymentGone);
  });
});
