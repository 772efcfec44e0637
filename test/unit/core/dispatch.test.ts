import { describe, expect, it } from "vitest";
import { dispatch } from "../../../core/runs/dispatch.ts";
import { isOwnClaim } from "../../../core/runs/states.ts";
import { TransientError } from "../../../core/shared/errors.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

function setup(jobVariables = {}) {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool", jobVariables);
  const env = makeDeps(api);
  const run = api.addRun(dep, env.clock.now());
  const msg = { v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "test" } as const;
  return { api, dep, run, msg, ...env };
}

describe("dispatch", () => {
  it("claims, submits and records the pid in 4 sequential round trips", async () => {
    const { api, run, msg, deps, backend } = setup();
    const outcome = await dispatch(msg, deps);
    expect(outcome).toMatchObject({ outcome: "submitted", pid: expect.stringMatching(/^pid-pp-/) });
    expect(api.runs.get(run.id)?.state_type).toBe("PENDING");
    expect(api.runs.get(run.id)?.infrastructure_pid).toBe(
      backend.submits[0] && `pid-${backend.submits[0].token}`,
    );
    const kinds = api.calls.map((c) => c.split(" ")[0]);
    expect(kinds).toEqual([
      "readFlowRun",
      "readDeployment",
      "readFlow",
      "readWorkPool",
      "setState",
      "setInfrastructurePid",
      "updateFlowRunLabels", // cosmetic: after the pid, off the critical path…
      "createLogs", // …beside the run's log lines (one round trip for both)
    ]);
  });

  it("skips a run someone else already claimed, without submitting", async () => {
    const { api, run, msg, deps, backend } = setup();
    await api.setState(run.id, { type: "PENDING", name: "Pending", message: null, state_details: {} });
    expect(await dispatch(msg, deps)).toMatchObject({ outcome: "skipped" });
    expect(backend.submits).toHaveLength(0);
  });

  it("resumes its own claim with the same token after a crash before submit", async () => {
    const { api, run, msg, deps, backend } = setup();
    const crashing = { ...deps, faults: { afterClaim: () => Promise.reject(new Error("boom")) } };
    await expect(dispatch(msg, crashing)).rejects.toThrow("boom");
    expect(isOwnClaim(api.runs.get(run.id) as never)).toBe(true);
    const outcome = await dispatch(msg, deps);
    expect(outcome).toMatchObject({ outcome: "submitted", resumed: true });
    expect(backend.submits).toHaveLength(1);
  });

  it("a redelivery after a crash between start and pid adopts what the claim's token started", async () => {
    const { msg, deps, backend, api } = setup();
    const crashing = { ...deps, faults: { afterSubmit: () => Promise.reject(new Error("lost")) } };
    await expect(dispatch(msg, crashing)).rejects.toThrow("lost");
    const outcome = await dispatch(msg, deps);
    expect(outcome).toMatchObject({ outcome: "submitted", resumed: true });
    expect(backend.submits).toHaveLength(1);
    expect(api.runs.get(msg.flowRunId)?.infrastructure_pid).toBe(`pid-${backend.submits[0]?.token}`);
  });

  it("crashes the run with Prefect's message on a permanent submit error", async () => {
    const { api, run, msg, deps } = setup({ command: "invalid" });
    const outcome = await dispatch(msg, deps);
    expect(outcome.outcome).toBe("crashed");
    expect(api.runs.get(run.id)?.state?.message).toBe(
      "Failed to submit flow run to infrastructure: SubmitError: bad request: image must be set",
    );
  });

  it("rethrows a transient submit error and keeps the claim for the redelivery", async () => {
    const { api, run, msg, deps, backend } = setup();
    backend.failWith = new TransientError("ThrottlingException", 1);
    await expect(dispatch(msg, deps)).rejects.toThrow("ThrottlingException");
    expect(api.runs.get(run.id)?.state_type).toBe("PENDING");
    backend.failWith = null;
    expect((await dispatch(msg, deps)).outcome).toBe("submitted");
  });

  it("re-queues a message delivered early instead of dispatching it", async () => {
    const { msg, deps, queue, clock, api } = setup();
    const notBefore = new Date(clock.t + 120_000).toISOString();
    const outcome = await dispatch({ ...msg, notBefore }, deps);
    expect(outcome).toMatchObject({ outcome: "deferred", delaySeconds: 120 });
    expect(queue.sent[0]?.message).toMatchObject({ notBefore });
    expect(api.calls).toHaveLength(0);
  });

  it("skips an in-process retry and a run of another pool", async () => {
    const { api, dep, deps, clock } = setup();
    const retry = api.addRun(dep, clock.now(), { empirical_policy: { retry_type: "in_process" } });
    const r1 = await dispatch(
      { v: 1, kind: "dispatch", flowRunId: retry.id, pool: "pool", source: "t" },
      deps,
    );
    expect(r1).toMatchObject({ outcome: "skipped", reason: expect.stringMatching(/in-process/) });
    const other = api.addRun(dep, clock.now(), { work_pool_name: "elsewhere" });
    const r2 = await dispatch(
      { v: 1, kind: "dispatch", flowRunId: other.id, pool: "pool", source: "t" },
      deps,
    );
    expect(r2).toMatchObject({ outcome: "skipped", reason: expect.stringMatching(/elsewhere/) });
  });
});

describe("claim of a run that already finished (stale delivery)", () => {
  it("does not count, and restores the finished state with its result", async () => {
    const { api, run, msg, deps, backend } = setup();
    await api.setState(run.id, { type: "PENDING", name: "Pending", state_details: {} });
    await api.setState(run.id, { type: "RUNNING", name: "Running", state_details: {} });
    await api.setState(run.id, {
      type: "COMPLETED",
      name: "Completed",
      data: { storage_key: "k" },
      state_details: {},
    });
    const { claim } = await import("../../../core/runs/states.ts");
    const result = await claim(api, run.id, "w");
    expect(result).toMatchObject({
      claimed: false,
      reason: expect.stringMatching(/stale claim: the run was COMPLETED/),
    });
    const after = api.runs.get(run.id);
    expect(after?.state).toMatchObject({ type: "COMPLETED", name: "Completed", data: { storage_key: "k" } });
    // and through dispatch: the run is skipped, nothing is submitted
    api.runs.get(run.id)!.state_type = "SCHEDULED"; // a stale read: dispatch believes it is Scheduled
    api.runs.get(run.id)!.state = { ...after!.state!, type: "SCHEDULED" };
    const realRead = api.readFlowRun.bind(api);
    api.readFlowRun = async (id) => {
      const r = await realRead(id);
      api.runs.get(run.id)!.state = after!.state; // finished again right after the read
      api.runs.get(run.id)!.state_type = "COMPLETED";
      return r;
    };
    expect((await dispatch(msg, deps)).outcome).toBe("skipped");
    expect(backend.submits).toHaveLength(0);
    expect(api.runs.get(run.id)?.state_type).toBe("COMPLETED");
  });
});
