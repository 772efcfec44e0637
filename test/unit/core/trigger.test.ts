import { describe, expect, it } from "vitest";
import { DeploymentNotFoundError, trigger } from "../../../core/runs/trigger.ts";
import { handleMessage } from "../../../core/runtime/handleMessage.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

function setup() {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool");
  return { api, dep, ...makeDeps(api) };
}

describe("trigger", () => {
  it("creates the run by flow/deployment name and enqueues its dispatch at once", async () => {
    const { api, deps, queue } = setup();
    const result = await trigger(
      {
        v: 1,
        kind: "trigger",
        deployment: "hello/dep",
        parameters: { x: 1 },
        idempotencyKey: "k",
        source: "ci",
      },
      deps,
    );
    expect(result).toMatchObject({ created: true, pool: "pool" });
    expect(api.runs.get(result.flowRunId)?.parameters).toEqual({ x: 1 });
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]).toMatchObject({
      delaySeconds: 0,
      message: { kind: "dispatch", flowRunId: result.flowRunId },
    });
  });

  it("creates nothing new for a repeated idempotency key", async () => {
    const { api, dep, deps } = setup();
    const m = { v: 1, kind: "trigger", deployment: dep.id, idempotencyKey: "same", source: "cron" } as const;
    const a = await trigger(m, deps);
    const b = await trigger(m, deps);
    expect(b.flowRunId).toBe(a.flowRunId);
    expect(api.runs.size).toBe(1);
  });

  it("delays the dispatch of a future run to its scheduled time − lead", async () => {
    const { deps, queue, clock } = setup();
    const scheduledTime = new Date(clock.t + 60_000).toISOString();
    await trigger(
      { v: 1, kind: "trigger", deployment: "hello/dep", idempotencyKey: "f", scheduledTime, source: "cron" },
      deps,
    );
    expect(queue.sent[0]?.delaySeconds).toBe(57);
  });

  it("rejects an unknown deployment permanently", async () => {
    const { deps } = setup();
    await expect(
      trigger({ v: 1, kind: "trigger", deployment: "hello/nope", idempotencyKey: "k", source: "ci" }, deps),
    ).rejects.toBeInstanceOf(DeploymentNotFoundError);
    const outcome = await handleMessage(
      JSON.stringify({ v: 1, kind: "trigger", deployment: "hello/nope", idempotencyKey: "k", source: "ci" }),
      deps,
    );
    expect(outcome).toMatchObject({ kind: "rejected", reason: expect.stringMatching(/not found/) });
  });
});

describe("handleMessage", () => {
  it("rethrows transient failures so the queue redelivers", async () => {
    const { api, dep, deps, clock } = setup();
    const run = api.addRun(dep, clock.now());
    api.readFlowRun = async () => {
      throw new TypeError("fetch failed");
    };
    await expect(
      handleMessage(
        JSON.stringify({ v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "t" }),
        deps,
      ),
    ).rejects.toThrow("fetch failed");
  });
});
