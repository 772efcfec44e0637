/**
 * The Azure Functions handlers end to end over a run's life after dispatch (see
 * ./functions.test.ts for the set-up): a container that exits 1 (Crashed with Prefect's message,
 * its last log lines in the run's logs), a container group that never starts (bad image: Crashed
 * with ARM's reason), a cancel (the group deleted, the run Cancelled), and a dispatch for a run
 * whose deployment was deleted; and a run due later, enqueued hidden by the tick.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowRun } from "../../../core/prefect/types.ts";
import { encodeBody } from "../../../functions/azure/queue.ts";
import { makeTickHandler } from "../../../functions/azure/tick.ts";
import type { AzureRuntime } from "../../../functions/azure/wiring.ts";
import { type AzureWorld, azureWorld, RG, SUB, until } from "./functionsWorld.ts";

let w: AzureWorld;
let rt: AzureRuntime;

beforeAll(async () => {
  w = await azureWorld("azfn-life");
  rt = await w.runtime();
});
afterAll(async () => {
  await w?.close();
});

const tick = () => makeTickHandler(async () => rt)();

async function dispatched(deploymentId = w.deployment.id): Promise<{ run: FlowRun; group: string }> {
  const run = await w.admin.createFlowRun(deploymentId, { scheduled_at: new Date() });
  await w.queue.sendMessage(
    encodeBody({ v: 1, kind: "dispatch", flowRunId: run.id, pool: w.pool.name, source: "test" }),
  );
  expect(await w.drain(rt)).toMatchObject({ failed: 0, poisoned: 0 });
  const group = (await w.groupOf(run.id)) ?? "";
  expect(group).not.toBe("");
  return { run, group };
}

/** Ticks until the run reaches a final state (the fake's deployment steps take a moment). */
async function tickUntilFinal(flowRunId: string): Promise<FlowRun | null> {
  return await until(
    async () => {
      await tick();
      return await w.admin.readFlowRun(flowRunId);
    },
    (run) => ["CRASHED", "CANCELLED", "FAILED", "COMPLETED"].includes(run?.state?.type ?? ""),
    60_000,
  );
}

async function runLogs(flowRunId: string): Promise<string> {
  const logs = await w.admin.rest<{ message: string }[]>("POST", "/logs/filter", {
    logs: { flow_run_id: { any_: [flowRunId] } },
  });
  return logs.map((l) => l.message).join("\n");
}

describe("Azure Functions end to end: after dispatch", () => {
  it("a container that exits 1 → Crashed with Prefect's message; its last lines reach the run's logs", async () => {
    const { run, group } = await dispatched();
    await until(
      async () => w.arm.group(SUB, RG, group)?.containers[0]?.state.state,
      (s) => s === "Running",
    );
    w.arm.finish(SUB, RG, group, 1, ["starting", "ModuleNotFoundError: No module named 'etl'"]);
    const after = await tickUntilFinal(run.id);
    expect(after?.state?.type).toBe("CRASHED");
    expect(after?.state?.message).toMatch(/^Flow run infrastructure exited with non-zero status code 1\./);
    expect(await runLogs(run.id)).toContain("ModuleNotFoundError: No module named 'etl'");
  });

  it("a container group that never starts (bad image) → Crashed with ARM's reason", async () => {
    const bad = await w.newDeployment({ image: "registry.example.com/does-not-exist:1" });
    const { run } = await dispatched(bad.id);
    const after = await tickUntilFinal(run.id);
    expect(after?.state?.type).toBe("CRASHED");
    expect(after?.state?.message).toContain("registry.example.com/does-not-exist:1");
  });

  it("a cancel: the tick deletes the container group and the run is Cancelled", async () => {
    const { run, group } = await dispatched();
    await until(
      async () => w.arm.group(SUB, RG, group),
      (g) => g !== undefined,
    );
    await w.admin.setState(run.id, { type: "CANCELLING", name: "Cancelling" });
    const after = await tickUntilFinal(run.id);
    expect(after?.state?.type).toBe("CANCELLED");
    expect(w.arm.group(SUB, RG, group)).toBeUndefined();
    expect(
      w.arm.requests.some((r) => r.method === "DELETE" && r.path.endsWith(`/containerGroups/${group}`)),
    ).toBe(true);
  });

  it("a dispatch for a run whose deployment was deleted starts nothing and says why", async () => {
    const doomed = await w.newDeployment();
    const run = await w.admin.createFlowRun(doomed.id, { scheduled_at: new Date() });
    await w.admin.deleteDeployment(doomed.id);
    const groupsBefore = w.arm.world.groupsDeployed.size;
    await w.queue.sendMessage(
      encodeBody({ v: 1, kind: "dispatch", flowRunId: run.id, pool: w.pool.name, source: "test" }),
    );
    expect(await w.drain(rt)).toMatchObject({ received: 1, handled: 1, failed: 0, poisoned: 0 });
    expect(w.arm.world.groupsDeployed.size).toBe(groupsBefore);
    // Prefect deletes a deleted deployment's runs with it: the dispatch finds no run and says so.
    expect(await w.admin.readFlowRun(run.id)).toBeNull();
    const skipped = w.logs.filter((l) => l.includes("dispatch skipped") && l.includes(run.id));
    expect(skipped.join("\n")).toContain("flow run not found");
  });

  it("a run due in 100 s: the tick enqueues it hidden until scheduled − lead (the message exists, none is visible)", async () => {
    const run = await w.admin.createFlowRun(w.deployment.id, {
      scheduled_at: new Date(Date.now() + 100_000),
    });
    const ticked = await tick();
    expect(ticked.ticked).toEqual([expect.objectContaining({ enqueued: 1 })]);
    expect((await w.queue.peekMessages()).peekedMessageItems).toEqual([]);
    expect((await w.queue.getProperties()).approximateMessagesCount).toBe(1);
    expect((await w.admin.readFlowRun(run.id))?.state?.type).toBe("SCHEDULED");
  });
});
