/**
 * A deployment concurrency limit is respected: a REJECT into AwaitingConcurrencySlot is not a
 * failure, and the run goes later (the server re-schedules it; pushpool re-queues it).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDeployment,
  createProcessPool,
  createRun,
  localStack,
  TERMINAL,
  waitForState,
} from "./harness.ts";

let stack: Awaited<ReturnType<typeof localStack>>;
let pool: string;

beforeAll(async () => {
  pool = await createProcessPool();
  stack = await localStack({ pools: [pool] });
});
afterAll(async () => {
  await stack?.stop();
});

describe("deployment concurrency", () => {
  it("holds the second run until the first frees the slot, then runs it", async () => {
    const dep = await createDeployment({ pool, concurrencyLimit: 1, parameters: { sleep: 3 } });
    const first = await createRun(dep.id);
    const second = await createRun(dep.id);
    const outcomes: string[] = [];
    const msg = (id: string) => ({ v: 1, kind: "dispatch", flowRunId: id, pool, source: "test" }) as const;
    const { dispatch } = await import("../../core/runs/dispatch.ts");
    outcomes.push((await dispatch(msg(first.id), stack.deps)).outcome);
    const rejected = await dispatch(msg(second.id), stack.deps);
    outcomes.push(rejected.outcome);
    expect(outcomes).toEqual(["submitted", "skipped"]);
    expect(rejected.outcome === "skipped" && rejected.reason).toMatch(/REJECT/);
    const [a, b] = await Promise.all([
      waitForState(first.id, TERMINAL),
      waitForState(second.id, TERMINAL, 90_000),
    ]);
    expect(a.state_type).toBe("COMPLETED");
    expect(b.state_type).toBe("COMPLETED");
    expect(Date.parse(b.start_time ?? "")).toBeGreaterThanOrEqual(Date.parse(a.end_time ?? ""));
    expect(stack.backend.started).toHaveLength(2);
  });
});
