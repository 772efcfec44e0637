/**
 * Dispatch from the tick's snapshot of a run (core/runs/runSnapshot.ts) against a real Prefect
 * server: the claim names the Scheduled state the snapshot saw, and a run that moved on since is
 * read and decided again, with the claim undone.
 */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { snapshotOf } from "../../core/runs/runSnapshot.ts";
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

async function messageFor(flowRunId: string): Promise<DispatchMessage> {
  const snapshot = snapshotOf(await readRun(flowRunId), new Date());
  expect(snapshot).toBeDefined();
  return { v: 1, kind: "dispatch", flowRunId, pool, source: "test", snapshot };
}

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
