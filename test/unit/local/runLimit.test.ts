import { describe, expect, it } from "vitest";
import { RunLimit } from "../../../functions/local/runLimit.ts";

function setup(limit: number) {
  let started = 0;
  const resent: string[] = [];
  const runLimit = new RunLimit({ limit, started: () => started, resend: (b) => resent.push(b) });
  return { runLimit, resent, start: () => started++ };
}

describe("RunLimit (--limit)", () => {
  it("admits up to the limit, counting dispatches in flight and processes running", () => {
    const { runLimit, start } = setup(2);
    const a = runLimit.tryAcquire("a", "A");
    expect(a).not.toBeNull();
    start(); // a's process
    a?.();
    expect(runLimit.running).toBe(1);
    const b = runLimit.tryAcquire("b", "B");
    expect(b).not.toBeNull();
    expect(runLimit.tryAcquire("c", "C")).toBeNull(); // a running + b in flight
    expect(runLimit.waiting).toBe(1);
  });

  it("parks one message per run and puts it back when a process exits", () => {
    const { runLimit, resent, start } = setup(1);
    const a = runLimit.tryAcquire("a", "A");
    start();
    a?.();
    expect(runLimit.tryAcquire("b", "B1")).toBeNull();
    expect(runLimit.tryAcquire("b", "B2")).toBeNull(); // the tick sent b again: one parked, the newest
    expect(runLimit.tryAcquire("c", "C")).toBeNull();
    expect(resent).toEqual([]);
    runLimit.onExit();
    expect(resent).toEqual(["B2"]); // one slot: one message back, oldest run first
    expect(runLimit.waiting).toBe(1);
  });

  it("a dispatch that started nothing frees its slot at once", () => {
    const { runLimit, resent } = setup(1);
    const a = runLimit.tryAcquire("a", "A");
    expect(runLimit.tryAcquire("b", "B")).toBeNull();
    a?.(); // skipped: no process
    a?.(); // releasing twice frees one slot only
    expect(resent).toEqual(["B"]);
    expect(runLimit.tryAcquire("b", "B")).not.toBeNull();
    expect(runLimit.tryAcquire("c", "C")).toBeNull();
  });
});
