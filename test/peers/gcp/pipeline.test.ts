/**
 * The GCP pipeline end to end with no in-test queue (./pipelineWorld.ts): the runtime's own Cloud
 * Tasks queue (the real `CloudTasksClient` → the Cloud Tasks fake, which POSTs each task to the
 * dispatch function at its `scheduleTime` and retries failures with the queue's back-off), its own
 * dead-letter topic (the real Pub/Sub client → the gcloud emulator), functions-framework serving
 * the handlers, the Cloud Run v2 fake and the peers' Prefect server. Nothing here delivers a task
 * by hand: every dispatch below arrives the way Cloud Tasks would send it — from the tick, the
 * webhook and a Cloud Scheduler cron firing alike.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOUD_RUN_LEAD_SECONDS } from "../../../core/backends/cloud-run-v2/index.ts";
import { signatureHeader, unixSeconds } from "../../../core/webhook/signature.ts";
import { post, SECRETS } from "./functionsWorld.ts";
import {
  createTaskBody,
  eventually,
  MAX_ATTEMPTS,
  type PipelineWorld,
  pipelineWorld,
} from "./pipelineWorld.ts";

let w: PipelineWorld;

beforeAll(async () => {
  w = await pipelineWorld("gcppipe");
}, 240_000);
afterAll(async () => {
  await w?.close();
}, 60_000);

/** The Cloud Tasks tasks created for a run (CreateTask requests whose body names it). */
const createdFor = (runId: string) =>
  w.tasks.requests.filter((r) => r.method === "CreateTask" && createTaskBody(r.request).includes(runId));
/** Every delivery attempt of a task whose body names the run. */
const deliveriesFor = (runId: string) => w.tasks.deliveries.filter((d) => d.body.includes(runId));
/** The short id the dispatch function sees in `X-CloudTasks-TaskName`. */
const shortName = (task: string) => task.split("/").pop() ?? "";

/** Waits until dispatch recorded a pid on the run, and returns the run. */
async function dispatched(runId: string) {
  return eventually(`run ${runId} submitted to Cloud Run`, async () => {
    const run = await w.admin.readFlowRun(runId);
    return run?.infrastructure_pid ? run : undefined;
  });
}

const jobOf = (jobId: string) =>
  w.cloudRun.jobs.get(`projects/pp-fn-test/locations/europe-west1/jobs/${jobId}`);

describe("GCP pipeline: Cloud Tasks (real client, fake service) → functions-framework → Cloud Run fake; dead letters on the Pub/Sub emulator", () => {
  it("a run due in ~40 s: the tick puts it on Cloud Tasks, delivered at its lead (not before), submitted, pid recorded, then Completed", async () => {
    const scheduled = Date.now() + 40_000;
    const run = await w.admin.createFlowRun(w.deployment.id, { scheduled_at: new Date(scheduled) });
    const tick = await post(w.url.tick, "{}");
    expect(tick.status).toBe(200);
    // One task, delayed with scheduleTime (Cloud Tasks holds it: no publish/receive loop).
    const created = createdFor(run.id);
    expect(created).toHaveLength(1);
    expect((created[0]?.request.task as { scheduleTime?: unknown } | undefined)?.scheduleTime).toBeDefined();

    const after = await dispatched(run.id);
    // The fake records a delivery when its answer arrives, which is after the pid is recorded (the
    // function writes the run's log lines first): wait for the record, do not race it.
    const first = await eventually(`the answer to run ${run.id}'s delivery`, () => deliveriesFor(run.id)[0]);
    // Not earlier than scheduled − lead (1 s tolerance for clock rounding).
    expect(first?.at ?? 0).toBeGreaterThanOrEqual(scheduled - CLOUD_RUN_LEAD_SECONDS * 1000 - 1000);
    expect(first?.status).toBe(200);
    expect(first?.headers.Authorization).toMatch(/^Bearer /);
    const answer = w.answers.find((a) => a.task === shortName(first?.task ?? ""));
    expect(answer).toMatchObject({
      status: 200,
      body: { outcome: "dispatch", result: { outcome: "submitted" } },
    });
    // Handled once: the task is gone from the queue, nothing dropped.
    expect([...w.tasks.tasks.values()].filter((t) => t.name === first?.task)).toEqual([]);
    expect(w.tasks.dropped).toEqual([]);

    const jobId = after.infrastructure_pid ?? "";
    expect(after.state?.type).toBe("PENDING");
    expect(jobOf(jobId)).toBeDefined();
    expect(w.cloudRun.requests.filter((r) => r.path.includes(`/jobs/${jobId}:run`))).toHaveLength(1);
    expect(JSON.stringify(jobOf(jobId))).not.toContain(SECRETS.apiKey);

    // The engine in the container takes it from here (played by the test). Prefect answers WAIT to
    // Running before the scheduled time (the job started `lead` early), so it proposes it again then.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, scheduled - Date.now())));
    const running = await eventually("Running accepted", async () => {
      const result = await w.admin.setState(run.id, { type: "RUNNING", name: "Running" }, false);
      return result.status === "WAIT" ? undefined : result.status;
    });
    expect(running).toBe("ACCEPT");
    w.cloudRun.finish(jobId, 0);
    expect((await w.admin.setState(run.id, { type: "COMPLETED", name: "Completed" }, false)).status).toBe(
      "ACCEPT",
    );
    expect((await post(w.url.tick, "{}")).status).toBe(200);
    expect((await w.admin.readFlowRun(run.id))?.state?.type).toBe("COMPLETED");
  }, 240_000);

  it("a signed webhook request: the run is created, put on Cloud Tasks and delivered to dispatch, which submits it", async () => {
    const body = JSON.stringify({ deployment: w.deployment.id, parameters: {} });
    const ts = unixSeconds(new Date());
    const res = await post(`${w.url.webhook}/trigger`, body, {
      "x-pushpool-timestamp": String(ts),
      "x-pushpool-signature": signatureHeader(SECRETS.webhook, ts, body),
    });
    expect(res.status).toBe(202);
    const runId = String(res.body.flowRunId);
    const run = await dispatched(runId);
    expect(run.state?.type).toBe("PENDING");
    expect(jobOf(run.infrastructure_pid ?? "")).toBeDefined();
    expect(createdFor(runId).length).toBeGreaterThanOrEqual(1);
    const answered = await eventually(`the answer to run ${runId}'s delivery`, () =>
      deliveriesFor(runId).length > 0 ? deliveriesFor(runId) : undefined,
    );
    expect(answered.every((d) => d.status === 200)).toBe(true);
  }, 240_000);

  it("a Cloud Scheduler cron firing: one run per scheduled time, delivered through Cloud Tasks and submitted", async () => {
    const body = JSON.stringify({ deployment: w.deployment.id, parameters: {} });
    const headers = {
      "x-cloudscheduler-scheduletime": new Date(Date.now() - 1000).toISOString(),
      "x-cloudscheduler-jobname": `projects/p/locations/l/jobs/pipeline-${Date.now()}`,
    };
    const first = await post(w.url.cron, body, headers);
    const again = await post(w.url.cron, body, headers);
    expect(first.status).toBe(200);
    expect(again.body.flowRunId).toBe(first.body.flowRunId);
    const runId = String(first.body.flowRunId);
    const run = await dispatched(runId);
    expect(run.state?.type).toBe("PENDING");
    expect(
      w.cloudRun.requests.filter((r) => r.path.includes(`/jobs/${run.infrastructure_pid}:run`)),
    ).toHaveLength(1);
  }, 240_000);

  it("a dispatch that keeps failing transiently (Cloud Run answers 503): retried by Cloud Tasks, then on the dead-letter topic after max attempts, and the task is gone", async () => {
    const run = await w.admin.createFlowRun(w.refusedDeployment.id, { scheduled_at: new Date() });
    const refusalsBefore = w.refusals.length;
    expect((await post(w.url.tick, "{}")).status).toBe(200);
    expect(createdFor(run.id)).toHaveLength(1);

    const dead = await eventually(`the dead letter of run ${run.id}`, () =>
      w.deadLetters.find((d) => d.body.includes(run.id)),
    );
    expect(JSON.parse(dead.body)).toMatchObject({ kind: "dispatch", flowRunId: run.id, pool: w.pool.name });
    expect(dead.attributes).toMatchObject({ source: "dispatch", attempts: String(MAX_ATTEMPTS) });
    expect(dead.attributes.reason).toMatch(/unavailable/i);
    expect(w.refusals.length).toBeGreaterThan(refusalsBefore);

    // The last attempt publishes the dead letter before it answers, and the fake records a delivery
    // when its answer arrives: wait for the record of every attempt.
    const attempts = await eventually(`the answers to run ${run.id}'s ${MAX_ATTEMPTS} attempts`, () =>
      deliveriesFor(run.id).length >= MAX_ATTEMPTS ? deliveriesFor(run.id) : undefined,
    );
    expect(attempts.map((d) => [d.attempt, d.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 200],
    ]);
    const task = attempts[0]?.task ?? "";
    const answered = w.answers.filter((a) => a.task === shortName(task)).map((a) => a.body.outcome);
    expect(answered).toEqual(["retry", "retry", "dead-lettered"]);
    // Gone from the queue, not dropped by it, and not attempted again.
    expect(w.tasks.tasks.has(task)).toBe(false);
    expect(w.tasks.dropped.filter((d) => d.name === task)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(deliveriesFor(run.id)).toHaveLength(MAX_ATTEMPTS);
    expect(w.deadLetters.filter((d) => d.body.includes(run.id))).toHaveLength(1);
    // The reason is logged; the API key never is.
    expect(w.logs.some((l) => l.includes("dead-lettered after its last attempt"))).toBe(true);
    expect(w.logs.join("\n")).not.toContain(SECRETS.apiKey);
    // Never submitted anywhere else.
    expect((await w.admin.readFlowRun(run.id))?.infrastructure_pid ?? null).toBeNull();
    await w.admin.setState(run.id, { type: "CANCELLED", name: "Cancelled" });
  }, 240_000);

  it("a task with a malformed body is acknowledged 200 with its reason, once: not retried, not dead-lettered", async () => {
    const marker = `malformed-${Date.now()}`;
    const body = `{"v":1,"kind":"dispatch","note":"${marker}"`; // cut short: not JSON
    const [task] = await w.tasksClient.createTask({
      parent: w.queuePath,
      task: {
        httpRequest: {
          url: `${w.url.dispatch}/`,
          httpMethod: "POST",
          headers: { "Content-Type": "application/octet-stream" },
          body: Buffer.from(body, "utf8"),
          oidcToken: { serviceAccountEmail: `pushpool-tasks@pp-fn-test.iam.gserviceaccount.com` },
        },
      },
    });
    const name = String(task.name);
    const answer = await eventually("the answer to the malformed task", () =>
      w.answers.find((a) => a.task === shortName(name)),
    );
    expect(answer.status).toBe(200);
    expect(answer.body.outcome).toBe("rejected");
    expect(String(answer.body.reason)).toMatch(/JSON/);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(w.tasks.deliveries.filter((d) => d.task === name).map((d) => d.status)).toEqual([200]);
    expect(w.tasks.tasks.has(name)).toBe(false);
    expect(w.deadLetters.filter((d) => d.body.includes(marker))).toEqual([]);
  }, 240_000);
});
