/**
 * Finished Cloud Run jobs removed by the tick (core/runs/cleanup.ts) on real peers: the Prefect
 * server, the Cloud Run v2 fake behind the real `@google-cloud/run` clients, the GCP runtime's own
 * deps. A run that completed is found by the tick's end-time query a tick later and its job and
 * executions are deleted — unless the deployment sets `keep_job`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../../../core/ports/clock.ts";
import { tick } from "../../../core/runs/tick.ts";
import { tickOptions } from "../../../core/runtime/buildDeps.ts";
import { type GcpWorld, gcpWorld, jobVariables, PROJECT, post, REGION } from "./functionsWorld.ts";

let w: GcpWorld;

beforeAll(async () => {
  w = await gcpWorld("gccl");
});
afterAll(async () => {
  await w?.close();
});

const jobName = (jobId: string) => `projects/${PROJECT}/locations/${REGION}/jobs/${jobId}`;

/** A run of `deploymentId` dispatched to the fake by the tick, then ended by its flow: Completed. */
async function completedRun(deploymentId: string): Promise<string> {
  const run = await w.admin.createFlowRun(deploymentId, { scheduled_at: new Date() });
  expect((await post(w.url.tick, "{}")).status).toBe(200);
  await w.tasks.deliver(60_000);
  const jobId = (await w.admin.readFlowRun(run.id))?.infrastructure_pid ?? "";
  expect(w.fake.jobs.has(jobName(jobId))).toBe(true);
  expect((await w.admin.setState(run.id, { type: "RUNNING", name: "Running" }, false)).status).toBe("ACCEPT");
  expect((await w.admin.setState(run.id, { type: "COMPLETED", name: "Completed" }, false)).status).toBe(
    "ACCEPT",
  );
  w.fake.finish(jobId, 0);
  return jobId;
}

/** The runtime's tick, two minutes later: the run ended more than a tick ago. */
async function tickLater() {
  const clock: Clock = { now: () => new Date(Date.now() + 120_000), sleep: w.rt.deps.clock.sleep };
  return await tick(tickOptions(w.rt.config), { ...w.rt.deps, clock });
}

describe("the tick removes finished Cloud Run jobs", () => {
  it("deletes a completed run's executions and job, once", async () => {
    const jobId = await completedRun(w.deployment.id);
    const executions = [...w.fake.executions.keys()].filter((n) => n.startsWith(`${jobName(jobId)}/`));
    expect(executions).toHaveLength(1);
    const [ticked] = await tickLater();
    expect(ticked).toMatchObject({ pool: w.pool.name, cleaned: 1 });
    expect(w.fake.jobs.has(jobName(jobId))).toBe(false);
    for (const e of executions) expect(w.fake.executions.has(e)).toBe(false);
    const deletes = () => w.fake.requests.filter((r) => r.method === "DELETE" && r.path.includes(jobId));
    const count = deletes().length;
    expect(count).toBeGreaterThan(0);
    await tickLater();
    expect(deletes()).toHaveLength(count); // remembered: not cleaned again
  });

  it("keeps the job of a deployment that sets keep_job", async () => {
    const keeping = await w.admin.createDeployment({
      work_pool_name: w.pool.name,
      job_variables: jobVariables({ keep_job: true }),
    });
    const jobId = await completedRun(keeping.id);
    await tickLater();
    expect(w.fake.jobs.has(jobName(jobId))).toBe(true);
    expect(w.fake.requests.filter((r) => r.method === "DELETE" && r.path.includes(jobId))).toEqual([]);
  });
});
