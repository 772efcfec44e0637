/**
 * Regression for a duplicate execution the local chaos test found (seeds 1, 2 and 4, e.g.
 * `CHAOS_SEED=4`): a dispatch reads the run while it is SCHEDULED, is slowed down (API retries),
 * and meanwhile another delivery claims the run and the flow finishes. The slow dispatch then
 * proposes PENDING — and Prefect ACCEPTS a PENDING proposal from COMPLETED (without a persisted
 * result), FAILED and CRASHED (core_policy.HandleFlowTerminalStateTransitions only forbids
 * CANCELLING / PAUSED / CRASHED targets; PreventPendingTransitions only guards PENDING, RUNNING,
 * CANCELLING, CANCELLED). The finished run is claimed and started a second time.
 *
 * Expected: a dispatch never re-runs a run that finished after it was read; the run keeps its
 * final state and no second process starts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StateType } from "../../core/prefect/types.ts";
import { dispatch } from "../../core/runs/dispatch.ts";
import type { Deps } from "../../core/runtime/deps.ts";
import {
  createDeployment,
  createProcessPool,
  createRun,
  localStack,
  readRun,
  setState,
} from "../e2e/harness.ts";

let pool: string;
let stack: Awaited<ReturnType<typeof localStack>>;

beforeAll(async () => {
  pool = await createProcessPool();
  stack = await localStack({ pools: [pool] });
});
afterAll(async () => {
  await stack?.stop();
});

/** Deps whose `readFlow` (read after the run, before the claim) waits until `release()`. */
function stalledDeps(deps: Deps) {
  let release = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let reached: () => void = () => {};
  const stalled = new Promise<void>((r) => {
    reached = r;
  });
  const api = new Proxy(deps.api, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== "readFlow" || typeof value !== "function")
        return typeof value === "function" ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        reached();
        await gate;
        return await value.apply(target, args);
      };
    },
  });
  return { deps: { ...deps, api }, release, stalled };
}

const FINISHED: Array<[StateType, string]> = [
  ["COMPLETED", "Completed"],
  ["FAILED", "Failed"],
  ["CRASHED", "Crashed"],
];

describe("a stale dispatch after the run finished", () => {
  for (const [type, name] of FINISHED) {
    it(`does not re-claim and re-run a ${type} run (stale read, claim after another delivery finished it)`, async () => {
      const dep = await createDeployment({ pool, jobVariables: { command: "sh -c 'exit 0'" } });
      const run = await createRun(dep.id);
      const slow = stalledDeps(stack.deps);
      const message = { v: 1, kind: "dispatch", flowRunId: run.id, pool, source: "test" } as const;
      const outcome = dispatch(message, slow.deps);
      await slow.stalled; // it has read the run: SCHEDULED
      // Meanwhile another worker/delivery claims the run and the flow finishes.
      expect((await setState(run.id, "PENDING", "Pending", "claimed elsewhere")).status).toBe("ACCEPT");
      expect((await setState(run.id, "RUNNING", "Running", null)).status).toBe("ACCEPT");
      expect((await setState(run.id, type, name, `finished as ${name}`)).status).toBe("ACCEPT");
      const started = stack.backend.started.length;
      slow.release();
      const result = await outcome;
      const after = await readRun(run.id);
      expect({
        outcome: result.outcome,
        state: after.state_type,
        processes: stack.backend.started.length - started,
      }).toEqual({
        outcome: "skipped",
        state: type,
        processes: 0,
      });
    });
  }
});
