/**
 * VertexBackend (core/backends/vertex-ai/) against the backend conformance suite, through the real
 * Vertex port (functions/gcp/vertexApi.ts: `@google-cloud/aiplatform`'s v1 `JobServiceClient`,
 * lazily imported, over REST) pointed at a local JobService fake (test/peers/gcp/vertexFake.ts)
 * that decodes every request with the SDK's own protos. Each case gets its own fake (its own
 * project), so counting custom jobs counts exactly what the case started. A cold instance is a new
 * VertexBackend on a new port factory (new SDK clients): it shares only the fake with the others.
 *
 * - start-once: the claim token is the `pushpool-token` label; `find` lists custom jobs by it;
 * - an ambiguous start: the fake applies the next CreateCustomJob (the job exists), then cuts the
 *   connection before answering;
 * - exit codes: the fake ends the job SUCCEEDED, or FAILED with Vertex's replica message; Vertex
 *   reports no exit code, so a failed job reads exit code 1, as Prefect's worker reads it.
 *
 * Declared limits: a fake, not Google — no VM, no image pull, no IAM, no quota; jobs run until told.
 */
import { randomInt, randomUUID } from "node:crypto";
import gax from "google-gax";
import { VertexBackend } from "../../../core/backends/vertex-ai/index.ts";
import { vertexApiFactory } from "../../../functions/gcp/vertexApi.ts";
import { VertexFake } from "../../peers/gcp/vertexFake.ts";
import { renderVertex, VERTEX_VALUES } from "../../unit/vertex-ai/render.ts";
import { type BackendHarness, describeBackendConformance, newFlowRun } from "./suite.ts";

async function vertexHarness(): Promise<BackendHarness> {
  const fake = await new VertexFake().start();
  const project = `pp-conf-${randomUUID().slice(0, 8)}`;
  const region = "europe-west4";
  const instance = () =>
    new VertexBackend({
      vertexApiFor: vertexApiFactory({
        apiEndpoint: "127.0.0.1",
        port: fake.port,
        protocol: "http",
        authClient: new gax.googleAuthLibrary.PassThroughClient(),
      }),
    });
  return {
    backend: instance(),
    cold: instance,
    async newJob() {
      const { config, ctx } = await renderVertex(
        { ...VERTEX_VALUES, credentials: { project }, region },
        { run: newFlowRun() },
      );
      return { config, ctx };
    },
    failNextStartAmbiguously() {
      fake.failNextCreate("cut");
    },
    async count() {
      return fake.size;
    },
    async finish(_job, pid, exitCode) {
      fake.finish(pid, exitCode);
    },
    unknownPid: () => `projects/${project}/locations/${region}/customJobs/${randomInt(1e9, 9e9)}`,
    settleMs: 3_000,
    async teardown() {
      await fake.stop();
    },
  };
}

describeBackendConformance(
  "vertex-ai (VertexBackend, real @google-cloud/aiplatform JobServiceClient over REST, on a local JobService fake)",
  vertexHarness,
);
