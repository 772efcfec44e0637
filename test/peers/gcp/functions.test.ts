/**
 * The GCP functions end to end (./functionsWorld.ts): a real Prefect server, the Cloud Run v2 fake
 * behind the real `@google-cloud/run` clients, every handler served by functions-framework on
 * loopback and Cloud Tasks played by an in-test queue that POSTs due messages to the dispatch
 * function. Scheduled runs through the tick, a webhook run, a cron run (one run per firing), a crash
 * (by the events function and by the tick's reconcile), a cancel and a deleted deployment.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANCEL_MESSAGES } from "../../../core/runs/cancel.ts";
import { signatureHeader, unixSeconds } from "../../../core/webhook/signature.ts";
import {
  executionLogEntry,
  type GcpWorld,
  gcpWorld,
  jobVariables,
  post,
  publishLogEntry,
  SECRETS,
} from "./functionsWorld.ts";

let w: GcpWorld;

beforeAll(async () => {
  w = await gcpWorld("gcpfn", { PUSHPOOL_CANCEL_GRACE_SECONDS: "0" });
});
afterAll(async () => {
  await w?.close();
});

/** A run of the deployment due now, put on the queue by the tick and dispatched to the fake. */
async function dispatchedRun(deploymentId = w.deployment.id) {
  const run = await w.admin.createFlowRun(deploymentId, { scheduled_at: new Date() });
  const tick = await post(w.url.tick, "{}");
  expect(tick.status).toBe(200);
  await w.tasks.deliver(60_000);
  const after = await w.admin.readFlowRun(run.id);
  return { run, after, jobId: after?.infrastructure_pid ?? "" };
}

function jobOf(jobId: string) {
  return w.fake.jobs.get(`projects/pp-fn-test/locations/europe-west1/jobs/${jobId}`);
}
function executionOf(jobId: string): string {
  const name = [...w.fake.executions.keys()].find((n) => n.includes(`/jobs/${jobId}/executions/`));
  if (!name) throw new Error(`no execution of ${jobId}`);
  return name;
}

describe("GCP functions end to end (Prefect server, Cloud Run fake, functions-framework)", () => {
  it("a scheduled run: tick → Cloud Tasks → dispatch → a Cloud Run job running on the fake, then Completed", async () => {
    const { run, after, jobId } = await dispatchedRun();
    expect(after?.state?.type).toBe("PENDING");
    expect(jobId).toMatch(/^[a-z][a-z0-9-]+-[0-9a-f]{16}$/);
    const job = jobOf(jobId) as { template?: { template?: { containers?: { env?: unknown[] }[] } } };
    expect(job).toBeDefined();
    const env = job.template?.template?.containers?.[0]?.env ?? [];
    // The API key travels as the Secret Manager reference of PUSHPOOL_PREFECT_API_KEY_SECRET, never in plaintext.
    expect(env).toContainEqual({
      name: "PREFECT_API_KEY",
      valueSource: {
        secretKeyRef: { secret: "projects/pp-fn-test/secrets/prefect-api-key", version: "latest" },
      },
    });
    expect(JSON.stringify(job)).not.toContain(SECRETS.apiKey);
    expect(w.fake.executions.has(executionOf(jobId))).toBe(true);
    // The engine in the container takes over: Running; an event of the running execution changes nothing.
    expect((await w.admin.setState(run.id, { type: "RUNNING", name: "Running" }, false)).status).toBe(
      "ACCEPT",
    );
    expect(await publishLogEntry(w.url.events, executionLogEntry(executionOf(jobId)))).toBe(204);
    expect((await w.admin.readFlowRun(run.id))?.state?.type).toBe("RUNNING");
    w.fake.finish(jobId, 0);
    expect((await w.admin.setState(run.id, { type: "COMPLETED", name: "Completed" }, false)).status).toBe(
      "ACCEPT",
    );
    expect(await publishLogEntry(w.url.events, executionLogEntry(executionOf(jobId)))).toBe(204);
    expect((await post(w.url.tick, "{}")).status).toBe(200);
    expect((await w.admin.readFlowRun(run.id))?.state?.type).toBe("COMPLETED");
    const runJobs = w.fake.requests.filter((r) => r.path.includes(`/jobs/${jobId}:run`));
    expect(runJobs).toHaveLength(1);
  });

  it("a run due in 50 s waits in Cloud Tasks until its lead; delivered early anyway, it goes back once with the rest of the delay", async () => {
    const due = new Date(Date.now() + 50_000);
    const run = await w.admin.createFlowRun(w.deployment.id, { scheduled_at: due });
    expect((await post(w.url.tick, "{}")).status).toBe(200);
    const queued = w.tasks.pending.filter((t) => t.body.includes(run.id));
    expect(queued).toHaveLength(1);
    // Delivered at the scheduled time minus Cloud Run's 30 s lead, not at once and not through a loop.
    const at = queued[0]?.dueAt ?? 0;
    expect(at).toBeGreaterThan(due.getTime() - 31_000);
    expect(at).toBeLessThan(due.getTime() - 20_000);
    const answered = w.tasks.answers.length;
    await w.tasks.deliver(60_000); // as if Cloud Tasks delivered it now, ~20 s early
    const early = w.tasks.answers.slice(answered).find((a) => JSON.stringify(a.body).includes(run.id));
    expect(early).toMatchObject({
      status: 200,
      body: { result: { outcome: "deferred", reason: "delivered early" } },
    });
    const again = w.tasks.pending.filter((t) => t.body.includes(run.id));
    expect(again).toHaveLength(1);
    // Back on the queue for when it is due (a queue that can delay: no hold, no loop).
    expect(again[0]?.dueAt ?? 0).toBeGreaterThanOrEqual(at - 1_000);
    expect((await w.admin.readFlowRun(run.id))?.state?.type).toBe("SCHEDULED");
    w.tasks.pending.splice(w.tasks.pending.indexOf(again[0] as never), 1);
    await w.admin.setState(run.id, { type: "CANCELLED", name: "Cancelled" });
  });

  it("a signed webhook request creates a run, dispatched through the queue", async () => {
    const body = JSON.stringify({ deployment: w.deployment.id, parameters: {} });
    const ts = unixSeconds(new Date());
    const res = await post(`${w.url.webhook}/trigger`, body, {
      "x-pushpool-timestamp": String(ts),
      "x-pushpool-signature": signatureHeader(SECRETS.webhook, ts, body),
    });
    expect(res.status).toBe(202);
    const flowRunId = String(res.body.flowRunId);
    expect(res.body.created).toBe(true);
    await w.tasks.deliver(60_000);
    const run = await w.admin.readFlowRun(flowRunId);
    expect(run?.state?.type).toBe("PENDING");
    expect(jobOf(run?.infrastructure_pid ?? "")).toBeDefined();
  });

  it("a cron firing creates one run per X-CloudScheduler-ScheduleTime, however often it is delivered", async () => {
    const body = JSON.stringify({ deployment: w.deployment.id, parameters: {} });
    const when = new Date(Date.now() - 1000).toISOString();
    const headers = {
      "x-cloudscheduler-scheduletime": when,
      "x-cloudscheduler-jobname": "projects/p/locations/l/jobs/nightly",
    };
    const first = await post(w.url.cron, body, headers);
    const second = await post(w.url.cron, body, headers);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body.created).toBe(true);
    expect(second.body.flowRunId).toBe(first.body.flowRunId);
    const run = await w.admin.readFlowRun(String(first.body.flowRunId));
    expect(run?.idempotency_key).toBe(`cron:nightly:${when}`);
    await w.tasks.deliver(60_000);
    const dispatched = await w.admin.readFlowRun(String(first.body.flowRunId));
    expect(dispatched?.state?.type).toBe("PENDING");
    expect(jobOf(dispatched?.infrastructure_pid ?? "")).toBeDefined();
  });

  it("an execution still starting: the events function marks the run InfrastructurePending", async () => {
    const { run, jobId } = await dispatchedRun();
    const execution = w.fake.executions.get(executionOf(jobId)) as Record<string, unknown>;
    // Google's shape before the task is scheduled: no start time, nothing running yet.
    delete execution.startTime;
    execution.runningCount = 0;
    expect(await publishLogEntry(w.url.events, executionLogEntry(executionOf(jobId)))).toBe(204);
    const after = await w.admin.readFlowRun(run.id);
    expect(after?.state).toMatchObject({ type: "PENDING", name: "InfrastructurePending" });
    expect(after?.infrastructure_pid).toBe(jobId);
  });

  it("a container that exits 1 before the flow starts: the events function crashes the run with Prefect's message", async () => {
    const { run, jobId } = await dispatchedRun();
    w.fake.finish(jobId, 1);
    expect(await publishLogEntry(w.url.events, executionLogEntry(executionOf(jobId)))).toBe(204);
    const after = await w.admin.readFlowRun(run.id);
    expect(after?.state?.type).toBe("CRASHED");
    expect(after?.state?.message).toMatch(/^Flow run infrastructure exited with non-zero status code 1\./);
  });

  it("the same crash without an event: the tick's reconcile finds it", async () => {
    const { run, jobId } = await dispatchedRun();
    w.fake.finish(jobId, 1);
    const tick = await post(w.url.tick, "{}");
    expect(tick.body.reconciled).toContainEqual(
      expect.objectContaining({ flowRunId: run.id, action: "crashed" }),
    );
    const after = await w.admin.readFlowRun(run.id);
    expect(after?.state?.type).toBe("CRASHED");
    expect(after?.state?.message).toMatch(/^Flow run infrastructure exited with non-zero status code 1\./);
  });

  it("cancelling a running flow: the tick deletes its execution and job, the run ends Cancelled", async () => {
    const { run, jobId } = await dispatchedRun();
    expect((await w.admin.setState(run.id, { type: "RUNNING", name: "Running" }, false)).status).toBe(
      "ACCEPT",
    );
    expect((await w.admin.setState(run.id, { type: "CANCELLING", name: "Cancelling" }, false)).status).toBe(
      "ACCEPT",
    );
    const execution = executionOf(jobId);
    const tick = await post(w.url.tick, "{}");
    expect(tick.body.reconciled).toContainEqual(
      expect.objectContaining({ flowRunId: run.id, action: "cancelled" }),
    );
    expect(jobOf(jobId)).toBeUndefined();
    expect(w.fake.executions.has(execution)).toBe(false);
    const after = await w.admin.readFlowRun(run.id);
    expect(after?.state).toMatchObject({ type: "CANCELLED", message: CANCEL_MESSAGES.started });
  });

  it("a deployment deleted before its run is dispatched: the dispatch is acknowledged with the reason, no job is made, a cron for it is refused", async () => {
    const gone = await w.admin.createDeployment({
      work_pool_name: w.pool.name,
      job_variables: jobVariables(),
    });
    const run = await w.admin.createFlowRun(gone.id, { scheduled_at: new Date() });
    const jobsBefore = w.fake.jobs.size;
    await w.tasks.send({ v: 1, kind: "dispatch", flowRunId: run.id, pool: w.pool.name, source: "test" });
    await w.admin.deleteDeployment(gone.id);
    // Prefect deletes a deployment's runs with it.
    expect(await w.admin.readFlowRun(run.id)).toBeNull();
    await w.tasks.deliver();
    expect(w.tasks.answers.at(-1)).toMatchObject({
      status: 200,
      body: {
        outcome: "dispatch",
        result: { outcome: "skipped", flowRunId: run.id, reason: "flow run not found" },
      },
    });
    expect(w.tasks.pending.filter((t) => t.body.includes(run.id))).toEqual([]);
    expect(w.fake.jobs.size).toBe(jobsBefore);
    const cron = await post(w.url.cron, JSON.stringify({ deployment: gone.id }), {
      "x-cloudscheduler-scheduletime": new Date().toISOString(),
    });
    expect(cron.status).toBe(422);
    expect(String(cron.body.message)).toContain(gone.id);
  });
});
