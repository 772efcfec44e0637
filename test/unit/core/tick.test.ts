import { describe, expect, it } from "vitest";
import { tick } from "../../../core/runs/tick.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

describe("tick", () => {
  it("heartbeats with the tick cadence and enqueues due runs delayed to scheduled − lead", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const { deps, queue, clock } = makeDeps(api);
    const soon = api.addRun(dep, new Date(clock.t + 10_000));
    const overdue = api.addRun(dep, new Date(clock.t - 30_000));
    const nextTick = api.addRun(dep, new Date(clock.t + 100_000)); // beyond this tick's window
    api.addRun(dep, new Date(clock.t + 3_600_000)); // beyond the horizon
    const result = await tick({ pools: ["pool"], tickSeconds: 60, horizonSeconds: 120 }, deps);
    expect(result).toEqual([{ pool: "pool", enqueued: 2 }]);
    expect(api.heartbeats).toEqual([{ pool: "pool", name: "pushpool-test", interval: 60 }]);
    const byRun = new Map(
      queue.sent.map((s) => [s.message.kind === "dispatch" ? s.message.flowRunId : "", s]),
    );
    expect(byRun.get(soon.id)?.delaySeconds).toBe(7); // 10 s − 3 s lead
    expect(byRun.get(soon.id)?.message).toMatchObject({ notBefore: new Date(clock.t + 7_000).toISOString() });
    expect(byRun.get(overdue.id)?.delaySeconds).toBe(0);
    expect(byRun.has(nextTick.id)).toBe(false);
  });

  it("looks ahead at least the next tick's window plus the lead, whatever the configured horizon", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const { deps, queue, clock } = makeDeps(api, { leadSeconds: () => 45 });
    const run = api.addRun(dep, new Date(clock.t + 90_000)); // deliver at +45 s: before the next tick
    await tick({ pools: ["pool"], tickSeconds: 60, horizonSeconds: 10 }, deps);
    expect(queue.sent.map((s) => (s.message.kind === "dispatch" ? s.message.flowRunId : ""))).toEqual([
      run.id,
    ]);
    expect(queue.sent[0]?.delaySeconds).toBe(45);
  });

  it("delivers a burst larger than the rate earlier and paced, so its last run is submitted by scheduled − lead", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const { deps, queue, clock } = makeDeps(api, { leadSeconds: () => 10 });
    const at = new Date(clock.t + 40_000);
    for (let i = 0; i < 25; i++) api.addRun(dep, at); // 25 due at one instant, rate 10/s → 3 s earlier
    const lone = api.addRun(dep, new Date(clock.t + 50_000));
    await tick({ pools: ["pool"], tickSeconds: 60, horizonSeconds: 10, burstRate: 10 }, deps);
    const delays = queue.sent.map((s) => [
      s.message.kind === "dispatch" ? s.message.flowRunId : "",
      s.delaySeconds,
    ]);
    const perSecond = new Map<unknown, number>();
    for (const [id, d] of delays) if (id !== lone.id) perSecond.set(d, (perSecond.get(d) ?? 0) + 1);
    expect(Object.fromEntries(perSecond)).toEqual({ 27: 10, 28: 10, 29: 5 }); // 10 per second, from 3 s early
    expect(delays.find(([id]) => id === lone.id)?.[1]).toBe(40);
    expect(queue.sent).toHaveLength(26);
  });

  it("sees and paces a burst beyond Prefect's 200 runs per query, its last run delivered by scheduled − lead", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const { deps, queue, clock } = makeDeps(api, { leadSeconds: () => 45 });
    const at = new Date(clock.t + 200_000); // 1,000 at one second, rate 10/s → delivered from 100 s early
    for (let i = 0; i < 1000; i++) api.addRun(dep, at);
    const ticks = { pools: ["pool"], tickSeconds: 60, horizonSeconds: 120, burstRate: 10 };
    await tick(ticks, deps);
    // All 1,000 seen at once (a page of 200 from get_scheduled_flow_runs, the rest from
    // /flow_runs/filter): paced from +55 s, so this tick sends those due before its window ends (+62 s).
    expect(queue.sent).toHaveLength(70);
    clock.t += 60_000;
    await tick(ticks, deps);
    clock.t += 60_000;
    await tick(ticks, deps);
    const ids = new Set(queue.sent.map((s) => (s.message.kind === "dispatch" ? s.message.flowRunId : "")));
    expect(ids.size).toBe(1000);
    expect(queue.sent).toHaveLength(1000);
    const deliveries = queue.sent.map((s) =>
      Date.parse(s.message.kind === "dispatch" ? (s.message.notBefore ?? "") : ""),
    );
    expect(Math.max(...deliveries)).toBeLessThanOrEqual(at.getTime() - 45_000 - 1000);
    expect(Math.min(...deliveries)).toBe(at.getTime() - 45_000 - 100_000);
  });

  it("keeps ticking the other pools when one fails", async () => {
    const api = new FakePrefect();
    api.addPool("good");
    const { deps } = makeDeps(api);
    api.getScheduledFlowRuns = async (pool) => {
      if (pool === "bad") throw new Error('Work pool "bad" not found.');
      return [];
    };
    const result = await tick({ pools: ["bad", "good"], tickSeconds: 60, horizonSeconds: 120 }, deps);
    expect(result[0]).toMatchObject({ pool: "bad", enqueued: 0, error: expect.stringMatching(/not found/) });
    expect(result[1]).toEqual({ pool: "good", enqueued: 0 });
  });
});
