/**
 * The Cloud Run backend through the real `@google-cloud/run` clients (REST) on the local fake:
 * what the conformance suite does not show — Google's refusal of unknown fields, operations that
 * are not done at once, a 503 after RunJob was applied, CreateJob's ALREADY_EXISTS, kill, cleanup
 * and keep_job, and the project a key names.
 */
import { randomUUID } from "node:crypto";
import gax from "google-gax";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CloudRunBackend,
  type GcpCredentialsData,
  jobIdFor,
} from "../../../core/backends/cloud-run-v2/index.ts";
import { submitOnce } from "../../../core/backends/startOnce.ts";
import { submitToken } from "../../../core/backends/token.ts";
import { silentLogger } from "../../../core/ports/logger.ts";
import type { JsonObject } from "../../../core/prefect/types.ts";
import { SubmitError } from "../../../core/shared/errors.ts";
import { cloudRunApiFactory } from "../../../functions/gcp/cloudRunApi.ts";
import { runProtos } from "../../../functions/gcp/protoJson.ts";
import { newFlowRun } from "../../conformance/backend/suite.ts";
import { renderCloudRun } from "../../unit/cloud-run-v2/render.ts";
import { CloudRunFake } from "./cloudRunFake.ts";

let fake: CloudRunFake;
const PROJECT = "pp-api-test";

beforeEach(async () => {
  fake = await new CloudRunFake().start();
});
afterEach(async () => {
  await fake.stop();
});

function backend() {
  return new CloudRunBackend({
    cloudRunApiFor: cloudRunApiFactory({
      apiEndpoint: "127.0.0.1",
      port: fake.port,
      protocol: "http",
      authClient: new gax.googleAuthLibrary.PassThroughClient(),
    }),
  });
}

async function job(values: JsonObject = {}, credentials: GcpCredentialsData = { project: PROJECT }) {
  return await renderCloudRun({ credentials: credentials as JsonObject, ...values }, { run: newFlowRun() });
}

const options = {
  resumed: false,
  claimedAt: Date.now(),
  now: Date.now,
  sleep: async () => {},
  logger: silentLogger,
};

async function submit(
  b: CloudRunBackend,
  j: Awaited<ReturnType<typeof job>>,
  token = submitToken(randomUUID(), "c"),
) {
  return await submitOnce(b, b.prepare(j.config, j.ctx), token, j.ctx, options);
}

describe("Cloud Run backend on the fake, through @google-cloud/run", () => {
  it("creates the job under the block's project and region, then runs it once", async () => {
    const b = backend();
    const j = await job({ region: "europe-west4" });
    const { pid, adopted } = await submit(b, j);
    expect(adopted).toBe(false);
    expect([...fake.jobs.keys()]).toEqual([`projects/${PROJECT}/locations/europe-west4/jobs/${pid}`]);
    expect(fake.executions.size).toBe(1);
    const create = fake.requests.find((r) => r.method === "POST" && r.path.endsWith("/jobs"));
    // Enums go over REST as numbers (`enum-encoding=int`): BETA by the protos' own numbering.
    const beta = runProtos().lookupEnum("google.api.LaunchStage").values.BETA;
    expect(create?.body).toMatchObject({ client: "prefect", launchStage: beta });
    expect((await b.inspect(pid, j.config)).state).toBe("running");
  });

  it("takes the project from a key's project_id when the block names none", async () => {
    const b = backend();
    const j = await job(
      {},
      { service_account_info: { type: "service_account", project_id: "key-project", private_key: "k" } },
    );
    const { pid } = await submit(b, j);
    expect(fake.jobs.has(`projects/key-project/locations/us-central1/jobs/${pid}`)).toBe(true);
  });

  it("waits for operations that are not done at once (the client polls GetOperation)", async () => {
    fake.lroDelayMs = 400;
    const b = backend();
    const j = await job();
    const { pid } = await submit(b, j);
    expect(fake.requests.some((r) => r.method === "GET" && r.path.includes("/operations/"))).toBe(true);
    expect(fake.executions.size).toBe(1);
    expect((await b.inspect(pid, j.config)).state).toBe("running");
  });

  it("refuses a job_body field Cloud Run does not know, as Google does, before anything is created", async () => {
    const j = await job();
    const b = backend();
    const request = b.prepare(j.config, j.ctx);
    (request.job.template as JsonObject).bogusField = 1;
    const attempt = submitOnce(b, request, submitToken(randomUUID(), "c"), j.ctx, options);
    await expect(attempt).rejects.toBeInstanceOf(SubmitError);
    await expect(attempt).rejects.toThrow(/Unknown name "bogusField" at 'job.template'/);
    expect(fake.jobs.size).toBe(0);
  });

  it("the fake itself refuses unknown fields with 400 INVALID_ARGUMENT", async () => {
    const res = await fetch(`http://127.0.0.1:${fake.port}/v2/projects/p/locations/l/jobs?jobId=j`, {
      method: "POST",
      body: JSON.stringify({ template: { template: { containers: [{ imag: "x" }] } } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { status: string } }).error.status).toBe("INVALID_ARGUMENT");
  });

  it("a RunJob applied then answered 503 is adopted, not repeated", async () => {
    fake.failNextRun("503");
    const b = backend();
    const j = await job();
    const result = await submit(b, j);
    expect(result.adopted).toBe(true);
    expect(fake.executions.size).toBe(1);
  });

  it("CreateJob ALREADY_EXISTS: the claim's job is run once, or its execution adopted", async () => {
    const b = backend();
    const j = await job();
    const token = submitToken(randomUUID(), "c");
    const jobId = jobIdFor(j.config.name, token);
    const request = b.prepare(j.config, j.ctx);
    const launch = await b.resolve(request);
    await launch.api.createJob(launch.parent, jobId, request.job); // an earlier attempt created it, then died
    expect((await b.start(launch, token, j.ctx)).pid).toBe(jobId);
    expect(fake.executions.size).toBe(1);
    expect((await b.start(launch, token, j.ctx)).pid).toBe(jobId); // again: adopts, runs nothing
    expect(fake.executions.size).toBe(1);
  });

  it("a failed execution reads exit 1 with Cloud Run's condition message", async () => {
    const b = backend();
    const j = await job();
    const { pid } = await submit(b, j);
    fake.finish(pid, 3);
    const status = await b.inspect(pid, j.config);
    expect(status).toMatchObject({ state: "failed", exitCode: 1 });
    expect(status.reason).toContain("The container exited with an error");
  });

  it("kill deletes a running job and its executions; then the pid is gone and kill says not found", async () => {
    const b = backend();
    const j = await job();
    const { pid } = await submit(b, j);
    await b.kill(pid, j.config, 30);
    expect(fake.jobs.size).toBe(0);
    expect(fake.executions.size).toBe(0);
    expect((await b.inspect(pid, j.config)).state).toBe("gone");
    await expect(b.kill(pid, j.config, 30)).rejects.toThrow(/not found in project 'pp-api-test'/);
  });

  it("cleanup removes a finished job unless keep_job; it leaves a running one alone", async () => {
    const b = backend();
    const running = await job();
    const r = await submit(b, running);
    await b.cleanup(r.pid, running.config);
    expect(fake.jobs.size).toBe(1);
    fake.finish(r.pid, 0);
    await b.cleanup(r.pid, running.config);
    expect(fake.jobs.size).toBe(0);
    expect(fake.executions.size).toBe(0);

    const kept = await job({ keep_job: true });
    const k = await submit(b, kept);
    fake.finish(k.pid, 0);
    await b.cleanup(k.pid, kept.config);
    expect(fake.jobs.size).toBe(1);
    expect((await b.inspect(k.pid, kept.config)).state).toBe("succeeded");
  });
});
