/**
 * The JobService fake's gRPC face (./vertexGrpc.ts) with the real `@google-cloud/aiplatform`
 * JobServiceClient over gRPC (no `fallback`): the transport Prefect's worker uses. Creates a job
 * with FLEX_START scheduling and an accelerator, reads it back, lists it by its label, cancels it,
 * and gets Google's status codes for an unknown job and for cancelling a job that has ended.
 */
import { JobServiceClient } from "@google-cloud/aiplatform/build/src/v1/job_service_client.js";
import gax from "google-gax";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VertexFake } from "./vertexFake.ts";
import { serveVertexGrpc, type VertexGrpcServer } from "./vertexGrpc.ts";

let fake: VertexFake;
let server: VertexGrpcServer;
let client: JobServiceClient;
const PARENT = "projects/grpc-test/locations/us-central1";

beforeAll(async () => {
  fake = await new VertexFake().start();
  server = await serveVertexGrpc(fake);
  client = new JobServiceClient({
    apiEndpoint: "127.0.0.1",
    port: server.port,
    sslCreds: gax.grpc.credentials.createInsecure(),
  });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await server?.stop();
  await fake?.stop();
});

type CustomJob = NonNullable<NonNullable<Parameters<JobServiceClient["createCustomJob"]>[0]>["customJob"]>;
const customJob: CustomJob = {
  displayName: "grpc-job-0123",
  labels: { "pushpool-token": "pp-0123456789abcdef0123456789abcdef" },
  jobSpec: {
    workerPoolSpecs: [
      {
        replicaCount: "1",
        containerSpec: { imageUri: "img", command: ["prefect", "flow-run", "execute"] },
        machineSpec: {
          machineType: "a2-highgpu-1g",
          acceleratorType: "NVIDIA_TESLA_A100",
          acceleratorCount: 1,
        },
        diskSpec: { bootDiskType: "pd-ssd", bootDiskSizeGb: 100 },
      },
    ],
    scheduling: {
      strategy: "FLEX_START",
      timeout: { seconds: "3600" },
      maxWaitDuration: { seconds: "1800" },
    },
    serviceAccount: "sa@grpc-test.iam.gserviceaccount.com",
  },
};

describe("JobService fake over gRPC, with the real JobServiceClient", () => {
  it("create → read back → list by label → cancel", async () => {
    const [created] = await client.createCustomJob({ parent: PARENT, customJob });
    expect(created.name).toMatch(new RegExp(`^${PARENT}/customJobs/\\d+$`));
    const name = String(created.name);
    // What the fake stored is the proto3 JSON a REST client would have sent.
    expect((fake.read(name)?.jobSpec as Record<string, unknown> | undefined)?.scheduling).toEqual({
      strategy: "FLEX_START",
      timeout: "3600s",
      maxWaitDuration: "1800s",
    });
    const [read] = await client.getCustomJob({ name });
    expect(read.state).toBe("JOB_STATE_RUNNING");
    expect(read.jobSpec?.workerPoolSpecs?.[0]?.machineSpec?.acceleratorType).toBe("NVIDIA_TESLA_A100");
    const [listed] = await client.listCustomJobs({
      parent: PARENT,
      filter: 'labels.pushpool-token="pp-0123456789abcdef0123456789abcdef"',
    });
    expect(listed.map((j) => j.name)).toEqual([name]);
    const [none] = await client.listCustomJobs({
      parent: PARENT,
      filter: 'labels.pushpool-token="pp-other"',
    });
    expect(none).toEqual([]);
    fake.schedule = { ...fake.schedule, cancelMs: 60_000 };
    await client.cancelCustomJob({ name });
    expect((await client.getCustomJob({ name }))[0].state).toBe("JOB_STATE_CANCELLING");
  });

  it("Google's status codes: NOT_FOUND for an unknown job, FAILED_PRECONDITION to cancel one that ended", async () => {
    await expect(client.getCustomJob({ name: `${PARENT}/customJobs/1` })).rejects.toMatchObject({ code: 5 });
    const [created] = await client.createCustomJob({ parent: PARENT, customJob });
    fake.finish(String(created.name), 0);
    await expect(client.cancelCustomJob({ name: String(created.name) })).rejects.toMatchObject({ code: 9 });
  });
});
