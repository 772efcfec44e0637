/**
 * `FlowRunFilter.endTimeAfter` (`flow_runs.end_time.after_`) against the real Prefect server: what
 * the tick's cleanup query (core/runs/cleanup.ts) relies on — every final state sets `end_time`,
 * also a forced Crashed or Cancelled of a run that never started, and the filter keeps only runs
 * that ended at or after the given time.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import { PrefectClient } from "../../core/prefect/client.ts";
import type { Deployment, StateType, WorkPool } from "../../core/prefect/types.ts";
import { FINAL_STATE_TYPES } from "../../core/runs/cleanup.ts";
import { PrefectAdmin } from "./helpers/prefectAdmin.ts";

const apiUrl = inject("prefectApiUrl");
const admin = new PrefectAdmin(apiUrl);
const client = new PrefectClient({ apiUrl });

let pool: WorkPool;
let deployment: Deployment;

beforeAll(async () => {
  ({ pool, deployment } = await admin.createPoolWithDeployment({ type: "process" }, {}));
});

async function runIn(type: StateType | null): Promise<string> {
  const run = await admin.createFlowRun(deployment.id, { scheduled_at: new Date() });
  if (type) await admin.setState(run.id, { type, name: type.charAt(0) + type.slice(1).toLowerCase() });
  return run.id;
}

const endOf = async (id: string) => Date.parse((await admin.readFlowRun(id))?.end_time ?? "");
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("flow_runs.end_time.after_", () => {
  it("every final state has an end time; the filter keeps the runs that ended at or after it", async () => {
    const early = await runIn("COMPLETED");
    await pause(50); // two distinct end times, whatever the server's clock resolution
    const late = {
      COMPLETED: await runIn("COMPLETED"),
      FAILED: await runIn("FAILED"),
      CRASHED: await runIn("CRASHED"),
      CANCELLED: await runIn("CANCELLED"),
    };
    const running = await runIn("RUNNING");
    const scheduled = await runIn(null);
    for (const id of [early, ...Object.values(late)]) expect(Number.isFinite(await endOf(id))).toBe(true);
    expect((await admin.readFlowRun(running))?.end_time ?? null).toBeNull();

    const cut = new Date((await endOf(early)) + 1);
    const found = await client.filterFlowRuns({
      workPoolNames: [pool.name],
      stateTypes: [...FINAL_STATE_TYPES],
      endTimeAfter: cut,
    });
    expect(found.map((r) => r.id).sort()).toEqual(Object.values(late).sort());
    expect(found.map((r) => r.id)).not.toContain(scheduled);

    const all = await client.filterFlowRuns({ workPoolNames: [pool.name], endTimeAfter: new Date(0) });
    expect(all.map((r) => r.id).sort()).toEqual([early, ...Object.values(late)].sort());
    const none = await client.filterFlowRuns({
      workPoolNames: [pool.name],
      endTimeAfter: new Date((await endOf(late.CANCELLED)) + 60_000),
    });
    expect(none).toEqual([]);
  });
});
