/**
 * What pushpool reports when things go wrong, against a real Prefect server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatch } from "../../core/runs/dispatch.ts";
import {
  createDeployment,
  createProcessPool,
  createRun,
  localStack,
  readRun,
  rest,
  setState,
  TERMINAL,
  waitForState,
} from "./harness.ts";

let pool: string;
let stack: Awaited<ReturnType<typeof localStack>>;

beforeAll(async () => {
  pool = await createProcessPool();
  stack = await localStack({ pools: [pool] });
});
afterAll(async () => {
  await stack?.stop();
});

const msg = (flowRunId: string) => ({ v: 1, kind: "dispatch", flowRunId, pool, source: "test" }) as const;

describe("failure reporting", () => {
  it("cancels a claimed run whose deployment was deleted, with Prefect's message", async () => {
    // Deleting a deployment deletes its Scheduled runs; a run already claimed (Pending, no pid yet)
    // survives, and its redelivery finds the deployment gone.
    const dep = await createDeployment({ pool });
    const run = await createRun(dep.id);
    const crashAfterClaim = {
      ...stack.deps,
      faults: {
        afterClaim: () => {
          throw new Error("injected crash after claim");
        },
      },
    };
    await expect(dispatch(msg(run.id), crashAfterClaim)).rejects.toThrow(/injected/);
    await rest("DELETE", `/deployments/${dep.id}`);
    const outcome = await dispatch(msg(run.id), stack.deps);
    expect(outcome.outcome).toBe("cancelled");
    const after = await readRun(run.id);
    expect(after.state_type).toBe("CANCELLED");
    expect(after.state?.message).toBe(`Deployment ${dep.id} no longer exists, cancelled run.`);
  });

  it("skips a run that no longer exists (its deployment was deleted while it was Scheduled)", async () => {
    const dep = await createDeployment({ pool });
    const run = await createRun(dep.id);
    await rest("DELETE", `/deployments/${dep.id}`);
    expect(await dispatch(msg(run.id), stack.deps)).toMatchObject({
      outcome: "skipped",
      reason: "flow run not found",
    });
  });

  it("never dispatches an in-process retry", async () => {
    const dep = await createDeployment({ pool });
    const run = await createRun(dep.id, { empirical_policy: { retry_type: "in_process", retries: 1 } });
    const started = stack.backend.started.length;
    const outcome = await dispatch(msg(run.id), stack.deps);
    expect(outcome).toMatchObject({ outcome: "skipped", reason: expect.stringMatching(/in-process retry/) });
    expect((await readRun(run.id)).state_type).toBe("SCHEDULED");
    expect(stack.backend.started.length).toBe(started);
  });

  it("does not touch a run claimed by someone else", async () => {
    const dep = await createDeployment({ pool });
    const run = await createRun(dep.id);
    await setState(run.id, "PENDING", "Pending", null);
    const before = await readRun(run.id);
    const outcome = await dispatch(msg(run.id), stack.deps);
    expect(outcome.outcome).toBe("skipped");
    const after = await readRun(run.id);
    expect(after.state?.id).toBe(before.state?.id);
    expect(after.infrastructure_pid).toBeNull();
  });

  it("crashes a run whose command cannot start, with Prefect's submit-failure message", async () => {
    const dep = await createDeployment({
      pool,
      jobVariables: { command: "/nonexistent/pushpool-binary --flag" },
    });
    const run = await createRun(dep.id);
    const outcome = await dispatch(msg(run.id), stack.deps);
    expect(outcome.outcome).toBe("crashed");
    const after = await readRun(run.id);
    expect(after.state_type).toBe("CRASHED");
    expect(after.state?.message).toMatch(
      /^Failed to submit flow run to infrastructure: SubmitError: FileNotFoundError/,
    );
  });

  it("crashes a run whose process exits non-zero before the flow reports", async () => {
    const dep = await createDeployment({ pool, jobVariables: { command: "sh -c 'exit 3'" } });
    const run = await createRun(dep.id);
    expect((await dispatch(msg(run.id), stack.deps)).outcome).toBe("submitted");
    const after = await waitForState(run.id, TERMINAL);
    expect(after.state_type).toBe("CRASHED");
    expect(after.state?.message).toMatch(/^Flow run infrastructure exited with non-zero status code 3\. /);
  });

  it("leaves a flow that fails on its own Failed (no Crashed on top)", async () => {
    const dep = await createDeployment({ pool, parameters: { fail: true } });
    const run = await createRun(dep.id);
    expect((await dispatch(msg(run.id), stack.deps)).outcome).toBe("submitted");
    const after = await waitForState(run.id, TERMINAL);
    expect(after.state_type).toBe("FAILED");
    await new Promise((r) => setTimeout(r, 500)); // let the exit report land
    expect((await readRun(run.id)).state_type).toBe("FAILED");
  });

  it("kills the process of a cancelled Pending run and marks it Cancelled", async () => {
    const dep = await createDeployment({ pool, jobVariables: { command: "sleep 60" } });
    const run = await createRun(dep.id);
    const outcome = await dispatch(msg(run.id), stack.deps);
    expect(outcome.outcome).toBe("submitted");
    const pid = (await readRun(run.id)).infrastructure_pid as string;
    expect((await stack.backend.inspect(pid)).state).toBe("running");
    const cancelling = await setState(run.id, "CANCELLING", "Cancelling", "cancelled by the test");
    expect(cancelling.status).toBe("ACCEPT");
    const { reconciled } = await stack.tickOnce();
    expect(reconciled.find((r) => r.flowRunId === run.id)?.action).toBe("cancelled");
    const after = await readRun(run.id);
    expect(after.state_type).toBe("CANCELLED");
    expect(["failed", "gone"]).toContain((await stack.backend.inspect(pid)).state);
  });
});
