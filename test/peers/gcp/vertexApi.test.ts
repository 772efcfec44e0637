/**
 * The Vertex backend through the real `@google-cloud/aiplatform` JobServiceClient (REST, lazily
 * imported) on the local JobService fake: what the conformance suite does not show — the states a
 * job moves through (QUEUED → PENDING → RUNNING, cancel → CANCELLING → CANCELLED), the refusal of
 * a field the protos do not know before anything is sent, a 503 after CreateCustomJob was applied,
 * kill of a job that ended, the find filter, and the run-as account and project a key names.
 */
import { randomUUID } from "node:crypto";
import gax from "google-gax";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { submitOnce } from "../../../core/backends/startOnce.ts";
import { submitToken } from "../../../core/backends/token.ts";
import { TOKEN_LABEL, VertexBackend } from "../../../core/backends/vertex-ai/index.ts";
import { silentLogger } from "../../../core/ports/logger.ts";
import type { JsonObject } from "../../../core/prefect/types.ts";
import { InfrastructureNotFoundError, SubmitError } from "../../../core/shared/errors.ts";
import { vertexApi, vertexApiFactory } from "../../../functions/gcp/vertexApi.ts";
import { newFlowRun } from "../../conformance/backend/suite.ts";
import { renderVertex, VERTEX_VALUES } from "../../unit/vertex-ai/render.ts";
import { VertexFake } from "./vertexFake.ts";

let fake: VertexFake;
const PROJECT = "pp-vertex-api";

beforeEach(async () => {
  fake = await new VertexFake().start();
});
afterEach(async () => {
  await fake.stop();
});

const base = () => ({
  apiEndpoint: "127.0.0.1",
  port: fake.port,
  protocol: "http" as const,
  authClient: new gax.googleAuthLibrary.PassThroughClient(),
});
const backend = () => new VertexBackend({ vertexApiFor: vertexApiFactory(base()) });

async function job(values: JsonObject = {}) {
  return await renderVertex(
    { ...VERTEX_VALUES, credentials: { project: PROJECT }, ...values },
    { run: newFlowRun() },
  );
}

async function submit(
  b: VertexBackend,
  j: Awaited<ReturnType<typeof job>>,
  token = submitToken(randomUUID(), randomUUID()),
) {
  return await submitOnce(b, b.prepare(j.config, j.ctx), token, j.ctx, {
    resumed: false,
    claimedAt: Date.now(),
    now: Date.now,
    sleep: async () => {},
    random: () => 0,
    logger: silentLogger,
  });
}

describe("VertexBackend on the JobService fake", () => {
  it("the pid is the full resource name; the job moves QUEUED → PENDING → RUNNING → SUCCEEDED", async () => {
    fake.schedule = { queuedMs: 60_000, pendingMs: 60_000, cancelMs: 0 };
    const b = backend();
    const j = await job();
    const { pid } = await submit(b, j);
    expect(pid).toMatch(new RegExp(`^projects/${PROJECT}/locations/us-central1/customJobs/\\d+$`));
    expect(await b.inspect(pid, j.config, j.ctx)).toEqual({
      state: "pending",
      reason: "Vertex AI job is queued.",
    });
    fake.setState(pid, "JOB_STATE_PENDING");
    expect((await b.inspect(pid, j.config, j.ctx)).state).toBe("pending");
    fake.setState(pid, "JOB_STATE_RUNNING");
    expect((await b.inspect(pid, j.config, j.ctx)).state).toBe("running");
    fake.finish(pid, 0);
    expect(await b.inspect(pid, j.config, j.ctx)).toEqual({ state: "succeeded", exitCode: 0 });
  });

  it("the CustomJob carries the display name and the claim's token label; find lists by it", async () => {
    const b = backend();
    const j = await job();
    const token = submitToken(randomUUID(), randomUUID());
    const { pid } = await submit(b, j, token);
    await submit(b, j); // another claim's job in the same project
    const created = fake.read(pid);
    expect(created?.displayName).toBe(`${j.config.name}-${token.slice(3)}`);
    expect((created?.labels as Record<string, string> | undefined)?.[TOKEN_LABEL]).toBe(token);
    const launch = await b.resolve(b.prepare(j.config, j.ctx));
    expect(await b.find(launch, token)).toEqual({ pid });
    expect(await b.find(launch, submitToken(randomUUID(), randomUUID()))).toBeNull();
    const lists = fake.requests.filter((r) => r.method === "GET" && r.path.endsWith("/customJobs"));
    expect(decodeURIComponent(lists.at(-1)?.query ?? "")).toContain(`filter=labels.${TOKEN_LABEL}=`);
  });

  it("kill cancels: CANCELLING, then CANCELLED → failed without the CANCELED message", async () => {
    fake.schedule = { queuedMs: 0, pendingMs: 0, cancelMs: 60_000 };
    const b = backend();
    const j = await job();
    const { pid } = await submit(b, j);
    await b.kill(pid, j.config, 30, j.ctx);
    expect(fake.read(pid)?.state).toBe("JOB_STATE_CANCELLING");
    expect((await b.inspect(pid, j.config, j.ctx)).state).toBe("running");
    fake.setState(pid, "JOB_STATE_CANCELLED", { code: 1, message: "CANCELED" });
    const status = await b.inspect(pid, j.config, j.ctx);
    expect(status).toEqual({
      state: "failed",
      exitCode: 1,
      reason: `Vertex AI job ${fake.read(pid)?.displayName} cancelled`,
    });
  });

  it("kill of a job that ended is a no-op (Vertex answers FAILED_PRECONDITION); of an unknown one, not found", async () => {
    const b = backend();
    const j = await job();
    const { pid } = await submit(b, j);
    fake.finish(pid, 1);
    await expect(b.kill(pid, j.config, 30, j.ctx)).resolves.toBeUndefined();
    expect(fake.read(pid)?.state).toBe("JOB_STATE_FAILED");
    await expect(b.kill(`${pid}0`, j.config, 30, j.ctx)).rejects.toBeInstanceOf(InfrastructureNotFoundError);
  });

  it("a 503 after CreateCustomJob was applied: the retry finds the job by its label, one job", async () => {
    const b = backend();
    const j = await job();
    fake.failNextCreate("503");
    const result = await submit(b, j);
    expect(result.adopted).toBe(true);
    expect(fake.size).toBe(1);
    expect(result.pid).toBe([...fake.entries.keys()][0]);
  });

  it("a field the protos do not know is refused before anything is sent", async () => {
    const api = vertexApi({ project: PROJECT }, "us-central1", base());
    const error = await api
      .createCustomJob(`projects/${PROJECT}/locations/us-central1`, {
        displayName: "x",
        jobSpec: { workerPoolSpec: [] },
      })
      .catch((e: unknown) => e);
    expect((error as { code?: number }).code).toBe(3);
    expect((error as Error).message).toContain('Unknown name "workerPoolSpec"');
    expect(fake.requests).toHaveLength(0);
  });

  it("a bad accelerator name reaches Vertex's refusal as a SubmitError, never a retry", async () => {
    const b = backend();
    const j = await job({ accelerator_type: "NVIDIA_TESLA_Z9000", accelerator_count: 1 });
    await expect(submit(b, j)).rejects.toBeInstanceOf(SubmitError);
    expect(fake.size).toBe(0);
  });

  it("a key names the project and the run-as account (its client_email), with no call", async () => {
    const key = {
      project_id: "keyed-project",
      client_email: "runner@keyed-project.iam.gserviceaccount.com",
      private_key: "k", // the fake's clients authenticate with a pass-through client: never used
    };
    const api = vertexApi({ service_account_info: key }, "us-central1", base());
    expect(await api.project()).toBe("keyed-project");
    expect(await api.serviceAccountEmail()).toBe(key.client_email);
    expect(fake.requests).toHaveLength(0);
    const b = backend();
    const j = await renderVertex(
      { region: "us-central1", image: "img", credentials: { service_account_info: key } },
      { run: newFlowRun() },
    );
    const { pid } = await submit(b, j);
    expect(pid.startsWith("projects/keyed-project/locations/us-central1/")).toBe(true);
    expect((fake.read(pid)?.jobSpec as JsonObject | undefined)?.serviceAccount).toBe(key.client_email);
  });
});
