/**
 * Regression: undoing a stale claim rewound a finished run. The soak (seed 20261128) caught it: two
 * dispatches of one run proposed their claims within a millisecond; one won, its task ran the flow
 * to Completed, and the other claim — stamped when its request arrived, before Running — waited on
 * the busy SQLite server and committed after Completed (Prefect accepts Pending over a Completed
 * run without a persisted result). pushpool saw it was stale and put back "the state before it" by
 * timestamp: the winning claim's Pending. The run went Pending, then Crashed. The state to put back
 * is the last one committed before the stale claim: the latest-stamped of the others.
 */
import { describe, expect, it } from "vitest";
import type { StateCreate } from "../../../core/prefect/types.ts";
import { claim } from "../../../core/runs/states.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

describe("a stale claim that committed after later-stamped states", () => {
  it("puts back the Completed state it displaced, not the winning claim stamped before it", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const { clock } = makeDeps(api);
    const run = api.addRun(dep, clock.now());
    // Prefect lists a run's states by timestamp.
    const byCommit = api.readFlowRunStates.bind(api);
    api.readFlowRunStates = async (id) =>
      (await byCommit(id)).sort((a, b) => (a.timestamp ?? "").localeCompare(b.timestamp ?? ""));

    clock.t += 1_000;
    const won = await claim(api, run.id, "pushpool");
    expect(won.claimed).toBe(true);
    const lateStamp = new Date(clock.t + 1).toISOString(); // the loser's request arrives now…
    clock.t += 1_000;
    await api.setState(run.id, { type: "RUNNING", name: "Running" });
    clock.t += 1_000;
    await api.setState(run.id, { type: "COMPLETED", name: "Completed" });
    clock.t += 1_000;
    // …and commits after Completed, keeping its early timestamp.
    const propose = api.setState.bind(api);
    api.setState = async (id: string, proposed: StateCreate, force?: boolean) => {
      const result = await propose(id, proposed, force);
      if (!force && proposed.type === "PENDING" && result.state) {
        result.state.timestamp = lateStamp;
        const stored = api.runs.get(id)?.state;
        if (stored) stored.timestamp = lateStamp;
        const past = (await byCommit(id)).at(-1);
        if (past) past.timestamp = lateStamp;
      }
      return result;
    };
    const late = await claim(api, run.id, "pushpool");

    expect(late).toMatchObject({ claimed: false, reason: "stale claim: the run was COMPLETED before it" });
    expect(api.runs.get(run.id)?.state?.type).toBe("COMPLETED");
  });

  it("puts nothing back when the run has moved on since the stale claim", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const { clock } = makeDeps(api);
    const run = api.addRun(dep, clock.now());
    await api.setState(run.id, { type: "COMPLETED", name: "Completed" }, true);
    const propose = api.setState.bind(api);
    api.setState = async (id: string, proposed: StateCreate, force?: boolean) => {
      const result = await propose(id, proposed, force);
      // Another actor moves the run on right after the stale claim commits.
      if (!force && proposed.type === "PENDING")
        await propose(id, { type: "CANCELLED", name: "Cancelled" }, true);
      return result;
    };
    const late = await claim(api, run.id, "pushpool");
    expect(late.claimed).toBe(false);
    expect(api.runs.get(run.id)?.state?.type).toBe("CANCELLED");
  });
});
