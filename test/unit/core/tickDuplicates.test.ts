/**
 * Regression: the tick re-enqueued every overdue unclaimed run on every tick, so behind a busy
 * dispatcher duplicates piled up (the soak: ~200–380 duplicate deliveries for 500 runs). A warm tick
 * now enqueues the same unclaimed run again only REENQUEUE_AFTER_TICKS ticks after it sent the
 * last message (and once that message was due); a rescheduled run, or a cold instance, enqueues at
 * once — never a run left behind.
 */
import { describe, expect, it } from "vitest";
import { tick } from "../../../core/runs/tick.ts";
import { REENQUEUE_AFTER_TICKS } from "../../../core/runs/tickMemo.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { FakeQueue, makeDeps } from "../fakes/ports.ts";

const OPTIONS = { pools: ["pool"], tickSeconds: 60, horizonSeconds: 120 };

function setup() {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool");
  return { api, dep, ...makeDeps(api) };
}

const sentFor = (queue: FakeQueue, id: string) =>
  queue.sent.filter((s) => s.message.kind === "dispatch" && s.message.flowRunId === id).length;

describe("tick: an overdue run nobody claimed", () => {
  it("is enqueued again only after its message has been due for a few ticks, not on every tick", async () => {
    const { api, dep, deps, queue, clock } = setup();
    const run = api.addRun(dep, new Date(clock.t - 30_000));
    const counts: number[] = [];
    for (let i = 0; i <= REENQUEUE_AFTER_TICKS; i++) {
      await tick(OPTIONS, deps);
      counts.push(sentFor(queue, run.id));
      clock.t += 60_000;
    }
    // Sent by the first tick; held by the next two; enqueued again by the fourth.
    expect(counts).toEqual([1, 1, 1, 2]);
  });

  it("counts ticks, not time: a stack ticked every second (tests) re-enqueues as soon", async () => {
    const { api, dep, deps, queue, clock } = setup();
    const run = api.addRun(dep, new Date(clock.t - 30_000));
    for (let i = 0; i <= REENQUEUE_AFTER_TICKS; i++) {
      await tick(OPTIONS, deps);
      clock.t += 1_000;
    }
    expect(sentFor(queue, run.id)).toBe(2);
  });

  it("reports the runs it held back", async () => {
    const { api, dep, deps, clock } = setup();
    api.addRun(dep, new Date(clock.t - 30_000));
    await tick(OPTIONS, deps);
    clock.t += 60_000;
    expect(await tick(OPTIONS, deps)).toEqual([{ pool: "pool", enqueued: 0, held: 1 }]);
  });

  it("a run enqueued ahead at the edge of the window is not enqueued again by the next tick", async () => {
    const { api, dep, deps, queue, clock } = setup();
    const run = api.addRun(dep, new Date(clock.t + 64_000)); // delivery at +61 s: inside this window
    await tick(OPTIONS, deps);
    clock.t += 60_000;
    await tick(OPTIONS, deps);
    expect(sentFor(queue, run.id)).toBe(1);
  });

  it("a run rescheduled since its message went out is enqueued at once", async () => {
    const { api, dep, deps, queue, clock } = setup();
    const run = api.addRun(dep, new Date(clock.t - 30_000));
    await tick(OPTIONS, deps);
    clock.t += 60_000;
    const moved = new Date(clock.t - 5_000).toISOString();
    run.next_scheduled_start_time = moved;
    run.expected_start_time = moved;
    await tick(OPTIONS, deps);
    expect(sentFor(queue, run.id)).toBe(2);
  });

  it("a cold instance (another runtime) remembers nothing and enqueues every due run", async () => {
    const { api, dep, deps, clock } = setup();
    const run = api.addRun(dep, new Date(clock.t - 30_000));
    await tick(OPTIONS, deps);
    const cold = new FakeQueue();
    await tick(OPTIONS, { ...deps, queue: cold });
    expect(sentFor(cold, run.id)).toBe(1);
  });
});
