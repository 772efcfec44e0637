import { describe, expect, it } from "vitest";
import { MAX_RUNS_PER_QUERY, scheduledRuns } from "../../../core/runs/scheduledRuns.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";

describe("scheduledRuns", () => {
  const setUp = () => {
    const api = new FakePrefect();
    const pool = api.addPool("pool");
    const dep = api.addDeployment("pool");
    const at = new Date(Date.parse("2026-11-28T12:05:00Z"));
    for (let i = 0; i < 450; i++) api.addRun(dep, at);
    return { api, pool, dep, at };
  };
  const before = new Date(Date.parse("2026-11-28T12:10:00Z"));

  it("completes a full answer of get_scheduled_flow_runs from /flow_runs/filter pages, each run once", async () => {
    const { api, pool, dep } = setUp();
    api.addRun(dep, new Date(Date.parse("2026-11-28T13:00:00Z"))); // beyond scheduledBefore
    const runs = await scheduledRuns(pool, before, { api });
    expect(runs).toHaveLength(450);
    expect(new Set(runs.map((r) => r.flow_run.id)).size).toBe(450);
    expect(runs.every((r) => r.work_queue_id === "q")).toBe(true);
  });

  it("leaves a pool with a concurrency limit, and runs of queues Prefect did not serve, to Prefect's query", async () => {
    const limited = setUp();
    limited.pool.concurrency_limit = 5;
    expect(await scheduledRuns(limited.pool, before, { api: limited.api })).toHaveLength(MAX_RUNS_PER_QUERY);

    const other = setUp();
    other.api.addRun(other.dep, new Date(Date.parse("2026-11-28T12:06:00Z")), { work_queue_id: "paused" });
    const runs = await scheduledRuns(other.pool, before, { api: other.api });
    expect(runs).toHaveLength(450);
    expect(runs.some((r) => r.flow_run.work_queue_id === "paused")).toBe(false);
  });

  it("pages in id order with the due-by time in the query, so runs tying on their start time are all seen", async () => {
    const { api, pool } = setUp();
    await scheduledRuns(pool, before, { api });
    expect(api.filters.length).toBeGreaterThan(0);
    for (const f of api.filters) {
      expect(f.sort).toBe("ID_DESC");
      expect(f.scheduledBefore?.toISOString()).toBe(before.toISOString());
    }
  });

  it("asks Prefect once when its answer is not full", async () => {
    const api = new FakePrefect();
    const pool = api.addPool("pool");
    const dep = api.addDeployment("pool");
    for (let i = 0; i < 10; i++) api.addRun(dep, new Date(Date.parse("2026-11-28T12:05:00Z")));
    expect(await scheduledRuns(pool, before, { api })).toHaveLength(10);
    expect(api.calls.filter((c) => c === "filterFlowRuns")).toHaveLength(0);
  });
});
