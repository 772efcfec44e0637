/**
 * Exactly-once dispatch against a real Prefect server and real flow processes.
 */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { snapshotOf } from "../../core/runs/runSnapshot.ts";
import { isOwnClaim } from "../../core/runs/states.ts";
import type { DispatchMessage } from "../../core/runtime/messages.ts";
import {
  createDeployment,
  createProcessPool,
  createRun,
  localStack,
  readRun,
  rest,
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

async function messageFor(flowRunId: string): Promise<DispatchMessage> {
  const snapshot = snapshotOf(await readRun(flowRunId), new Date());
  expect(snapshot).toBeDefined();
  return { ...dispatchMessage(flowRunId), snapshot };
}

/**
 * From the tick's snapshot of a run (core/runs/runSnapshot.ts): the claim names the Scheduled
 * state the snapshot saw, and a run that moved on since is read and decided again, with the claim
 * undone.
 */
describe("dispatch from a snapshot, against a real Prefect server", () => {
  it("runs the run to Completed, its claim carrying the snapshot's scheduled time", async () => {
    const stack = await localStack({ pools: [pool] });
    try {
      const run = await createRun(deploymentId);
      const message = await messageFor(run.id);
      await stack.queue.send(message);
      const done = await waitForState(run.id, TERMINAL);
      expect(done.state_type).toBe("COMPLETED");
      expect(stack.backend.started).toHaveLength(1);
      const states = await rest<{ type: string; name: string; state_details: { scheduled_time?: string } }[]>(
        "GET",
        `/flow_run_states/?flow_run_id=${run.id}`,
      );
      const claims = states.filter((s) => s.type === "PENDING" && s.name === "Pending");
      expect(claims).toHaveLength(1);
      const seenAt = run.state?.state_details?.scheduled_time ?? "";
      expect(Date.parse(claims[0]?.state_details.scheduled_time ?? "")).toBe(Date.parse(seenAt));
    } finally {
      await stack.stop();
    }
  });

  it("a run in an in-process retry since the snapshot: the claim is undone and nothing started", async () => {
    const stack = await localStack({ pools: [pool] });
    try {
      const run = await createRun(deploymentId);
      const message = await messageFor(run.id);
      // Since the snapshot: the flow failed in its own process, which waits to retry in place.
      const retryAt = new Date(Date.now() + 120_000).toISOString();
      await rest("PATCH", `/flow_runs/${run.id}`, {
        empirical_policy: { retries: 1, retry_delay: 120, retry_type: "in_process" },
      });
      await rest("POST", `/flow_runs/${run.id}/set_state`, {
        state: {
          type: "SCHEDULED",
          name: "AwaitingRetry",
          state_details: { flow_run_id: run.id, transition_id: randomUUID(), scheduled_time: retryAt },
        },
        force: true,
      });
      await stack.queue.send(message);
      await stack.queue.idle();
      const after = await readRun(run.id);
      expect(after.state).toMatchObject({ type: "SCHEDULED", name: "AwaitingRetry" });
      expect(Date.parse(after.state?.state_details?.scheduled_time ?? "")).toBe(Date.parse(retryAt));
      expect(stack.backend.started).toHaveLength(0);
      expect(stack.logger.lines.join("\n")).toContain("in-process retry (the flow process owns it)");
    } finally {
      await stack.stop();
    }
  });
});
