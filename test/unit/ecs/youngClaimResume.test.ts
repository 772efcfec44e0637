/**
 * Regression: two tasks for one claim when a duplicate message resumed a claim its delivery was
 * still submitting. The soak (seed 20261128, no clientToken idempotency on moto) caught it: one
 * delivery claimed the run; a second delivery of the same run read it right after, saw our Pending
 * without a pid, looked for the claim's task — none yet, the first delivery's RunTask was on its
 * way — and started one; then the first delivery's RunTask landed too. A resumed claim younger than
 * CLAIM_SETTLE_MS with no task now looks again once the claim is that old, and adopts what it finds.
 */

import { describe, expect, it } from "vitest";
import { CLAIM_SETTLE_MS } from "../../../core/backends/startOnce.ts";
import { submitVia } from "../fakes/submit.ts";
import { FakeEcsApi } from "./fakeEcs.ts";
import { makeBackend, renderEcs } from "./render.ts";

async function setup(claimAgeMs: number) {
  const api = new FakeEcsApi();
  api.ignoreClientToken = true; // moto
  const waits: number[] = [];
  let duringWait: () => Promise<void> = async () => {};
  const sleep = async (ms: number) => {
    if (ms <= 0) return; // other waits of submit (jitter)
    waits.push(ms);
    const once = duringWait;
    duringWait = async () => {};
    await once();
  };
  const { backend } = makeBackend({ sleep }, api);
  const { config, ctx } = await renderEcs({});
  const claimedAt = new Date(Date.now() - claimAgeMs).toISOString();
  ctx.flowRun.state = { id: "claim", type: "PENDING", name: "Pending", timestamp: claimedAt };
  const request = backend.prepare(config, ctx);
  return {
    api,
    sleep,
    backend,
    request,
    ctx,
    waits,
    whileWaiting(f: () => Promise<void>) {
      duringWait = f;
    },
  };
}

describe("a duplicate delivery resuming a claim made a moment ago", () => {
  it("waits for the task the claiming delivery is starting, and adopts it: one task", async () => {
    const { api, sleep, backend, request, ctx, waits, whileWaiting } = await setup(1_000);
    // The claiming delivery's RunTask lands while the duplicate waits.
    whileWaiting(async () => {
      await submitVia(backend, request, "claim-token", { ...ctx, resumed: false }, { sleep });
    });
    const duplicate = await submitVia(backend, request, "claim-token", { ...ctx, resumed: true }, { sleep });
    expect(api.tasks.size).toBe(1);
    expect(duplicate.pid).toContain([...api.tasks.keys()][0]);
    expect(waits[0]).toBeGreaterThan(CLAIM_SETTLE_MS - 2_000);
    expect(waits[0]).toBeLessThanOrEqual(CLAIM_SETTLE_MS - 1_000);
  });

  it("starts the task itself when none appeared (the claiming delivery died right after the claim)", async () => {
    const { api, backend, request, ctx } = await setup(1_000);
    await submitVia(backend, request, "claim-token", { ...ctx, resumed: true });
    expect(api.count("listTasksStartedBy")).toBe(2);
    expect(api.tasks.size).toBe(1);
  });

  it("an old claim (a redelivery after a crash, reconcile) does not wait", async () => {
    const { api, sleep, backend, request, ctx, waits } = await setup(CLAIM_SETTLE_MS + 5_000);
    await submitVia(backend, request, "claim-token", { ...ctx, resumed: true }, { sleep });
    expect(waits).toEqual([]);
    expect(api.count("listTasksStartedBy")).toBe(1);
    expect(api.tasks.size).toBe(1);
  });
});
