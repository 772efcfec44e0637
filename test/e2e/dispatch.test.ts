/**
 * Exactly-once dispatch against a real Prefect server and real flow processes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { isOwnClaim } from "../../core/runs/states.ts";
import {
  createDeployment,
  createProcessPool,
  createRun,
  localStack,
  readRun,
  TERMINAL,
  waitForState,
} from "./harness.ts";

let pool: string;
let deploymentId: string;

beforeAll(async () => {
  pool = await createProcessPool();
  ({ id: deploymentId } = await createDeployment({ pool, parameters: { name: "e2e" } }));
});

const dispatchMessage = (flowRunId: string) =>
  ({ v: 1, kind: "dispatch", flowRunId, pool, source: "test" }) as const;

describe("dispatch against a real Prefect server", () => {
  it("runs a message delivered 3× concurrently exactly once, to Completed", async () => {
    const stack = await localStack({ pools: [pool] });
    try {
      const run = await createRun(deploymentId);
      await Promise.all([1, 2, 3].map(() => stack.queue.send(dispatchMessage(run.id))));
      const done = await waitForState(run.id, TERMINAL);
      expect(done.state_type).toBe("COMPLETED");
      expect(stack.backend.started).toHaveLength(1);
      expect(done.infrastructure_pid).toBe(stack.backend.started[0]);
      await stack.queue.idle();
      expect(stack.backend.started).toHaveLength(1);
    } finally {
      await stack.stop();
    }
  });

  it("survives a crash between claim and submit: the redelivery runs it once", async () => {
    let crashes = 0;
    const stack = await localStack({
      pools: [pool],
      faults: {
        afterClaim: () => {
          if (crashes++ === 0) throw new Error("injected crash after claim");
        },
      },
    });
    try {
      const run = await createRun(deploymentId);
      await stack.queue.send(dispatchMessage(run.id));
      const done = await waitForState(run.id, TERMINAL);
      expect(done.state_type).toBe("COMPLETED");
      expect(crashes).toBe(1);
      expect(stack.queue.stats.redelivered).toBeGreaterThanOrEqual(1);
      expect(stack.backend.started).toHaveLength(1);
    } finally {
      await stack.stop();
    }
  });

  it("survives a crash after submit but before the pid is recorded: one process", async () => {
    let crashes = 0;
    const stack = await localStack({
      pools: [pool],
      faults: {
        afterSubmit: () => {
          if (crashes++ === 0) throw new Error("injected crash before the pid is recorded");
        },
      },
    });
    try {
      const run = await createRun(deploymentId);
      await stack.queue.send(dispatchMessage(run.id));
      const done = await waitForState(run.id, TERMINAL);
      expect(done.state_type).toBe("COMPLETED");
      expect(stack.backend.started).toHaveLength(1);
      expect(done.infrastructure_pid).toBe(stack.backend.started[0]);
    } finally {
      await stack.stop();
    }
  });

  it("with no redelivery, reconcile resubmits a claim left without infrastructure", async () => {
    const stack = await localStack({
      pools: [pool],
      startTimeoutSeconds: 1,
      faults: {
        afterClaim: () => {
          throw new Error("injected crash after claim");
        },
      },
    });
    try {
      const run = await createRun(deploymentId);
      stack.queue.close(); // the message is lost: no redelivery
      const { dispatch } = await import("../../core/runs/dispatch.ts");
      await expect(dispatch(dispatchMessage(run.id), stack.deps)).rejects.toThrow(/injected crash/);
      const pending = await readRun(run.id);
      expect(pending.state_type).toBe("PENDING");
      expect(isOwnClaim(pending)).toBe(true);
      expect(pending.infrastructure_pid).toBeNull();
      stack.deps.faults = undefined;
      await new Promise((r) => setTimeout(r, 1200));
      const { reconciled } = await stack.tickOnce();
      expect(reconciled.find((r) => r.flowRunId === run.id)?.action).toBe("resubmitted");
      const done = await waitForState(run.id, TERMINAL);
      expect(done.state_type).toBe("COMPLETED");
      expect(stack.backend.started).toHaveLength(1);
    } finally {
      await stack.stop();
    }
  });

  it("marks a claim Crashed when it stays without infrastructure past twice the start timeout", async () => {
    const stack = await localStack({
      pools: [pool],
      startTimeoutSeconds: 1,
      faults: {
        afterClaim: () => {
          throw new Error("injected crash after claim");
        },
      },
    });
    try {
      const run = await createRun(deploymentId);
      const { dispatch } = await import("../../core/runs/dispatch.ts");
      stack.queue.close();
      await expect(dispatch(dispatchMessage(run.id), stack.deps)).rejects.toThrow(/injected crash/);
      await new Promise((r) => setTimeout(r, 2300));
      const { reconciled } = await stack.tickOnce();
      expect(reconciled.find((r) => r.flowRunId === run.id)?.action).toBe("crashed");
      const crashed = await readRun(run.id);
      expect(crashed.state_type).toBe("CRASHED");
      expect(crashed.state?.message).toMatch(/did not start within/);
      expect(stack.backend.started).toHaveLength(0);
    } finally {
      await stack.stop();
    }
  });
});
