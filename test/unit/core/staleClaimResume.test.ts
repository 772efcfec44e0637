/**
 * Regression (CI, test/reliability/localChaos.test.ts on PostgreSQL): one run got two processes.
 * A dispatch started the run's process and crashed before recording its pid; the process ran the
 * run to Completed. A stale delivery's claim was then accepted over the finished run (Prefect
 * accepts Pending over Completed without a persisted result), and its delivery did not live to undo
 * it. The next delivery read "our Pending, no pid" and resumed that claim — under a new token, so
 * the first process was not found — and started the finished run again.
 *
 * A claim is resumable only if it left a Scheduled state (it carries the `scheduled_time` Prefect
 * copies); a stale one is undone, by the next delivery or by reconcile, never resumed or Crashed.
 * A resumer also reads the run right before it starts: a claim undone while it waited starts nothing.
 */
import { describe, expect, it } from "vitest";
import { dispatch } from "../../../core/runs/dispatch.ts";
import { reconcile } from "../../../core/runs/reconcile.ts";
import { CLAIM_MESSAGE_PREFIX, isResumableClaim } from "../../../core/runs/states.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

function setup() {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool");
  const env = makeDeps(api);
  const run = api.addRun(dep, env.clock.now());
  const msg = { v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "test" } as const;
  return { api, run, msg, ...env };
}

/** Started, pid never recorded (the dispatcher crashed), then run to Completed by its process. */
async function finishedWithoutPid({ api, run, msg, deps, clock }: ReturnType<typeof setup>) {
  const crashing = { ...deps, faults: { afterSubmit: () => Promise.reject(new Error("crash")) } };
  await expect(dispatch(msg, crashing)).rejects.toThrow("crash");
  clock.t += 1_000;
  await api.setState(run.id, { type: "RUNNING", name: "Running" });
  clock.t += 1_000;
  await api.setState(run.id, { type: "COMPLETED", name: "Completed" });
  clock.t += 1_000;
}

/** A stale delivery's claim, accepted over the finished run and never undone. */
async function staleClaim(api: FakePrefect, runId: string) {
  const { status, state } = await api.setState(runId, {
    type: "PENDING",
    name: "Pending",
    message: `${CLAIM_MESSAGE_PREFIX} (pushpool-test)`,
    state_details: { flow_run_id: runId, transition_id: "stale" },
  });
  expect(status).toBe("ACCEPT");
  expect(state?.state_details?.scheduled_time ?? null).toBeNull();
}

describe("a stale claim left behind by a delivery that died", () => {
  it("is undone by the next delivery, not resumed: the finished run is not started again", async () => {
    const env = setup();
    const { api, run, msg, deps, backend } = env;
    await finishedWithoutPid(env);
    await staleClaim(api, run.id);
    expect(isResumableClaim(api.runs.get(run.id) as never)).toBe(false);

    const outcome = await dispatch(msg, deps);

    expect(outcome).toMatchObject({
      outcome: "skipped",
      reason: "stale claim undone: the run was COMPLETED before it",
    });
    expect(backend.submits).toHaveLength(1);
    expect(api.runs.get(run.id)?.state?.type).toBe("COMPLETED");
  });

  it("is undone by reconcile after the start timeout, not resubmitted and never Crashed", async () => {
    const env = setup();
    const { api, run, deps, backend, clock } = env;
    await finishedWithoutPid(env);
    await staleClaim(api, run.id);
    clock.t += 2 * deps.startTimeoutSeconds * 1000 + 1_000;

    const results = await reconcile(["pool"], deps);

    expect(results).toContainEqual(
      expect.objectContaining({
        flowRunId: run.id,
        action: "undone",
        detail: expect.stringMatching(/COMPLETED/),
      }),
    );
    expect(api.runs.get(run.id)?.state?.type).toBe("COMPLETED");
    expect(backend.submits).toHaveLength(1);
  });
});

describe("a resumer that waited for a young claim", () => {
  it("starts nothing when the claim stopped being current while it waited", async () => {
    const { api, run, msg, deps, backend, clock } = setup();
    const crashing = { ...deps, faults: { afterClaim: () => Promise.reject(new Error("crash")) } };
    await expect(dispatch(msg, crashing)).rejects.toThrow("crash");
    expect(isResumableClaim(api.runs.get(run.id) as never)).toBe(true);
    // While the resumer waits out the young claim, the run is moved on (here: cancelled, forced).
    const sleep = clock.sleep.bind(clock);
    clock.sleep = async (ms: number) => {
      await sleep(ms);
      await api.setState(run.id, { type: "CANCELLED", name: "Cancelled" }, true);
    };

    const outcome = await dispatch(msg, deps);

    expect(outcome).toMatchObject({
      outcome: "skipped",
      reason: "the claim being resumed is no longer current: the run is CANCELLED",
    });
    expect(backend.submits).toHaveLength(0);
    expect(api.runs.get(run.id)?.state?.type).toBe("CANCELLED");
  });

  it("still starts the claim when it is current (one read more than a fresh claim)", async () => {
    const { api, msg, deps, backend } = setup();
    const crashing = { ...deps, faults: { afterClaim: () => Promise.reject(new Error("crash")) } };
    await expect(dispatch(msg, crashing)).rejects.toThrow("crash");
    api.calls.length = 0;

    expect(await dispatch(msg, deps)).toMatchObject({ outcome: "submitted", resumed: true });

    expect(backend.submits).toHaveLength(1);
    expect(api.calls.filter((c) => c.startsWith("readFlowRun "))).toHaveLength(2);
  });
});
