/**
 * Regression: two tasks for one claim when two deliveries resumed the same old claim at the same
 * moment. The soak (no clientToken idempotency on moto) caught it: the claiming delivery died after
 * its claim; later a redelivery and the tick's resubmission resumed the claim together, each looked
 * for the claim's task, each found none, and each started one. A resumed claim that finds nothing
 * now takes the claim's start lease (a Prefect Variable: core/prefect/variableLease.ts) before it
 * starts; the others wait, look again, adopt the holder's task or go back to the queue.
 */

import { describe, expect, it } from "vitest";
import { CLAIM_SETTLE_MS } from "../../../core/backends/startOnce.ts";
import { VariableLease } from "../../../core/prefect/variableLease.ts";
import { TransientError } from "../../../core/shared/errors.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { FakeClock } from "../fakes/ports.ts";
import { submitVia } from "../fakes/submit.ts";
import { FakeEcsApi } from "./fakeEcs.ts";
import { makeBackend, renderEcs } from "./render.ts";

async function setup() {
  const api = new FakeEcsApi();
  api.ignoreClientToken = true; // moto
  const { backend } = makeBackend({}, api);
  const { config, ctx } = await renderEcs({});
  const claimedAt = new Date(Date.now() - CLAIM_SETTLE_MS - 60_000).toISOString();
  ctx.flowRun.state = { id: "claim", type: "PENDING", name: "Pending", timestamp: claimedAt };
  const prefect = new FakePrefect();
  const lease = new VariableLease(prefect, new FakeClock(Date.now()));
  return {
    api,
    backend,
    request: backend.prepare(config, ctx),
    ctx: { ...ctx, resumed: true },
    prefect,
    lease,
  };
}

describe("deliveries resuming one old claim at the same moment", () => {
  it("start one task between them: the lease holder starts it, the others adopt it", async () => {
    const { api, backend, request, ctx, lease } = await setup();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => submitVia(backend, request, "claim-token", ctx, { lease })),
    );
    expect(api.tasks.size).toBe(1);
    expect(results.filter((r) => !r.adopted)).toHaveLength(1);
    const [task] = [...api.tasks.keys()];
    for (const r of results) expect(r.pid).toContain(task);
  });

  it("without the lease (the old protocol) the same race starts one task per delivery", async () => {
    const { api, backend, request, ctx } = await setup();
    await Promise.all(Array.from({ length: 3 }, () => submitVia(backend, request, "claim-token", ctx)));
    expect(api.tasks.size).toBe(3);
  });

  it("a delivery that loses the lease and still sees nothing goes back to the queue, starting nothing", async () => {
    const { api, backend, request, ctx, lease } = await setup();
    expect(await lease.acquire("claim-token", 120_000)).toBe(true); // a holder that has not started yet
    const error = await submitVia(backend, request, "claim-token", ctx, { lease }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).retryAfterSeconds).toBeGreaterThan(5);
    expect(api.tasks.size).toBe(0);
  });

  it("a fresh claim takes no lease (no Prefect request on the common path)", async () => {
    const { api, backend, request, ctx, lease, prefect } = await setup();
    await submitVia(backend, request, "claim-token", { ...ctx, resumed: false }, { lease });
    expect(api.tasks.size).toBe(1);
    expect(prefect.variables.size).toBe(0);
  });
});
