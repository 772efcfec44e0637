/**
 * Regression: triggers dead-lettered because the Prefect server was busy. The soak found 35–45 of
 * 100 trigger/webhook runs never created: on a SQLite-backed Prefect server `create_flow_run` fails
 * at once with 503 when another write commits during it (another create above all), the ten
 * triggers of a batch were created at once, retried in step, and ran out of deliveries. Now a
 * retryable failure is retried within a budget per delivery (the create carries the idempotency
 * key, so a retry never makes a second run), and the creates of one runtime go one at a time (none
 * waiting more than LANE_WAIT_MS for its turn); after that budget the trigger is re-queued rather
 * than failed, for up to MAX_DEFERRAL_MS, so a long busy spell does not use up its deliveries.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FlowRunCreate } from "../../../core/prefect/types.ts";
import {
  LANE_WAIT_MS,
  QUEUE_CREATE_BUDGET_MS,
  WEBHOOK_CREATE_BUDGET_MS,
} from "../../../core/runs/createFlowRun.ts";
import { DEFER_SECONDS, MAX_DEFERRAL_MS } from "../../../core/runs/deferTrigger.ts";
import { trigger } from "../../../core/runs/trigger.ts";
import { handleMessage } from "../../../core/runtime/handleMessage.ts";
import { PrefectApiError, TransientError } from "../../../core/shared/errors.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

const busy = () =>
  new TransientError(
    "Prefect API POST /deployments/x/create_flow_run → 503: Service Unavailable (gave up after 6 attempt(s))",
  );

function setup() {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool");
  const made = makeDeps(api);
  const create = api.createFlowRun.bind(api);
  return { api, dep, create, ...made };
}

const message = (key: string, deployment: string) =>
  JSON.stringify({ v: 1, kind: "trigger", deployment, idempotencyKey: key, source: "cron" });

describe("trigger on a busy (SQLite) Prefect server", () => {
  beforeEach(() => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("ten triggers of one batch: creates go one at a time, so none collides and all are created", async () => {
    const { api, dep, deps, create } = setup();
    let inFlight = 0;
    let collisions = 0;
    api.createFlowRun = async (id: string, body: FlowRunCreate) => {
      // SQLite: a create that overlaps another write fails at once.
      if (inFlight > 0) {
        collisions++;
        throw busy();
      }
      inFlight++;
      try {
        await new Promise((r) => setTimeout(r, 2));
        return await create(id, body);
      } finally {
        inFlight--;
      }
    };
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => handleMessage(message(`k${i}`, dep.id), deps)),
    );
    expect(outcomes.every((o) => o.kind === "trigger")).toBe(true);
    expect(api.runs.size).toBe(10);
    expect(collisions).toBe(0);
  });

  it("a 503 is retried within the queue budget, and the idempotency key keeps it one run", async () => {
    const { api, dep, deps, create, clock } = setup();
    let failures = 4;
    api.createFlowRun = async (id, body) => {
      // The first attempt is applied but its answer lost; then the server is busy for a while.
      const run = await create(id, body);
      if (failures-- > 0) throw busy();
      return run;
    };
    const t0 = clock.t;
    const outcome = await handleMessage(message("once", dep.id), deps);
    expect(outcome.kind).toBe("trigger");
    expect(api.runs.size).toBe(1);
    expect(clock.t - t0).toBeLessThan(QUEUE_CREATE_BUDGET_MS);
  });

  it("a server busy beyond the budget: the trigger goes back to the queue, marked, not to the DLQ", async () => {
    const { api, dep, deps, clock, queue } = setup();
    let calls = 0;
    api.createFlowRun = async () => {
      calls++;
      throw busy();
    };
    const t0 = clock.t;
    const outcome = await handleMessage(message("k", dep.id), deps);
    expect(clock.t - t0).toBeGreaterThanOrEqual(QUEUE_CREATE_BUDGET_MS);
    expect(calls).toBeGreaterThan(3);
    expect(outcome).toMatchObject({ kind: "deferred", result: { idempotencyKey: "k" } });
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]?.message).toMatchObject({
      kind: "trigger",
      idempotencyKey: "k",
      deferredSince: new Date(clock.t).toISOString(),
    });
    expect(queue.sent[0]?.delaySeconds).toBeGreaterThanOrEqual(DEFER_SECONDS);

    // The re-queued message, still failing, is deferred again with its first deferral time…
    const again = queue.sent[0]?.message;
    const second = await handleMessage(JSON.stringify(again), deps);
    expect(second.kind).toBe("deferred");
    expect(queue.sent[1]?.message).toMatchObject({
      deferredSince: (again as { deferredSince: string }).deferredSince,
    });
    // …until it has been deferred for MAX_DEFERRAL_MS: then the queue redelivers it (and dead-letters it).
    clock.t += MAX_DEFERRAL_MS;
    await expect(handleMessage(JSON.stringify(again), deps)).rejects.toBeInstanceOf(TransientError);
    expect(queue.sent).toHaveLength(2);
  });

  it("a create that hangs does not hold the others of its runtime back beyond the lane's wait", async () => {
    const { api, dep, deps, create } = setup();
    let release = () => {};
    const hanging = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    api.createFlowRun = async (id, body) => {
      if (++calls === 1) await hanging;
      return await create(id, body);
    };
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const first = handleMessage(message("slow", dep.id), deps);
      const second = handleMessage(message("next", dep.id), deps);
      await vi.advanceTimersByTimeAsync(LANE_WAIT_MS);
      await expect(second).resolves.toMatchObject({ kind: "trigger" });
      release();
      await expect(first).resolves.toMatchObject({ kind: "trigger" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("the webhook's budget is shorter (its function answers within 20 s)", async () => {
    const { api, dep, deps, clock } = setup();
    api.createFlowRun = async () => {
      throw busy();
    };
    const t0 = clock.t;
    const m = { v: 1, kind: "trigger", deployment: dep.id, idempotencyKey: "w", source: "webhook" } as const;
    await expect(trigger(m, deps)).rejects.toBeInstanceOf(TransientError);
    expect(clock.t - t0).toBeGreaterThanOrEqual(WEBHOOK_CREATE_BUDGET_MS);
    expect(clock.t - t0).toBeLessThan(QUEUE_CREATE_BUDGET_MS);
  });

  it("a failure that is not retryable is not retried: rejected at once with its reason", async () => {
    const { api, dep, deps } = setup();
    let calls = 0;
    api.createFlowRun = async () => {
      calls++;
      throw new PrefectApiError(422, "POST", "/deployments/x/create_flow_run", "bad parameters");
    };
    const outcome = await handleMessage(message("k", dep.id), deps);
    expect(outcome).toMatchObject({ kind: "rejected", reason: expect.stringMatching(/422: bad parameters/) });
    expect(calls).toBe(1);
  });
});
