/**
 * Regression (test/reliability/localChaos.test.ts, seed 20261128): a dispatch read its run while
 * Scheduled and stalled; another delivery ran the run to Completed; then the stale claim was
 * applied but its response lost, and the HTTP retry came back REJECT with the claim's own
 * transition id. That was taken for "our claim committed" without the staleness check an ACCEPT
 * gets: the finished run was started a second time.
 */
import { describe, expect, it } from "vitest";
import type { OrchestrationResult, StateCreate } from "../../../core/prefect/types.ts";
import { claim } from "../../../core/runs/states.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

/** The server applies the proposal; the client only sees the retry's answer: REJECT, state = the committed claim. */
function loseClaimResponse(api: FakePrefect) {
  const propose = api.setState.bind(api);
  api.setState = async (id: string, proposed: StateCreate, force?: boolean): Promise<OrchestrationResult> => {
    const result = await propose(id, proposed, force);
    if (force || proposed.type !== "PENDING") return result;
    return {
      status: "REJECT",
      state: result.state,
      details: { type: "reject_details", reason: "duplicate transition" },
    };
  };
}

describe("a claim whose response was lost and whose retry says REJECT with its own transition id", () => {
  it("over a finished run: stale, the finished state is put back, nothing starts", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const { clock } = makeDeps(api);
    const run = api.addRun(dep, clock.now());
    clock.t += 1_000;
    expect((await claim(api, run.id, "pushpool")).claimed).toBe(true);
    clock.t += 1_000;
    await api.setState(run.id, { type: "RUNNING", name: "Running" });
    clock.t += 1_000;
    await api.setState(run.id, { type: "COMPLETED", name: "Completed" });
    clock.t += 1_000;
    loseClaimResponse(api);
    const late = await claim(api, run.id, "pushpool");
    expect(late).toMatchObject({ claimed: false, reason: "stale claim: the run was COMPLETED before it" });
    expect(api.runs.get(run.id)?.state?.type).toBe("COMPLETED");
  });

  it("over a Scheduled run: ours", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const { clock } = makeDeps(api);
    const run = api.addRun(dep, clock.now());
    loseClaimResponse(api);
    const result = await claim(api, run.id, "pushpool");
    expect(result.claimed).toBe(true);
    expect(api.runs.get(run.id)?.state?.type).toBe("PENDING");
  });
});
