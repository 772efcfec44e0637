import { describe, expect, it } from "vitest";
import { HEARTBEAT_SECONDS, heartbeatIfDue } from "../../../core/runs/heartbeat.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { FakeClock, FakeQueue } from "../fakes/ports.ts";

function setup() {
  const api = new FakePrefect();
  const beats: { pool: string; interval: number }[] = [];
  api.heartbeat = async (pool: string, _name: string, interval: number) => {
    beats.push({ pool, interval });
  };
  const clock = new FakeClock();
  return { api, beats, clock, deps: { api, clock, queue: new FakeQueue(), workerName: "pushpool" } };
}

describe("heartbeatIfDue", () => {
  it("a 5 s tick heartbeats once per Prefect worker interval, telling the server that interval", async () => {
    const { beats, clock, deps } = setup();
    for (let t = 0; t < 120; t += 5) {
      await heartbeatIfDue("p", 5, deps);
      clock.t += 5_000;
    }
    expect(beats).toHaveLength(120 / HEARTBEAT_SECONDS);
    expect(beats.every((b) => b.interval === HEARTBEAT_SECONDS)).toBe(true);
  });

  it("a tick slower than the interval heartbeats every tick, with the tick as the interval", async () => {
    const { beats, clock, deps } = setup();
    for (let i = 0; i < 3; i++) {
      await heartbeatIfDue("p", 60, deps);
      clock.t += 60_000;
    }
    expect(beats).toEqual([
      { pool: "p", interval: 60 },
      { pool: "p", interval: 60 },
      { pool: "p", interval: 60 },
    ]);
  });

  it("pools are independent, and a failed heartbeat is sent again at the next tick", async () => {
    const { api, beats, clock, deps } = setup();
    await heartbeatIfDue("a", 5, deps);
    const ok = api.heartbeat;
    api.heartbeat = async () => {
      throw new Error("503");
    };
    await expect(heartbeatIfDue("b", 5, deps)).rejects.toThrow("503");
    api.heartbeat = ok;
    clock.t += 5_000;
    expect(await heartbeatIfDue("b", 5, deps)).toBe(true);
    expect(await heartbeatIfDue("a", 5, deps)).toBe(false);
    expect(beats.map((b) => b.pool)).toEqual(["a", "b"]);
  });
});
