/**
 * CloudRunBackend (core/backends/cloud-run-v2/) against the backend conformance suite, through the
 * real Cloud Run port (functions/gcp/cloudRunApi.ts: `@google-cloud/run`'s v2 clients over REST)
 * pointed at a local Cloud Run v2 fake (test/peers/gcp/cloudRunFake.ts) that decodes every request
 * with the SDK's own protos. Each case gets its own fake (its own project), so counting executions
 * counts exactly what the case started. A cold instance is a new CloudRunBackend on a new port
 * factory (new SDK clients): it shares only the fake with the others.
 *
 * - an ambiguous start: the fake applies the next RunJob (the execution starts), then cuts the
 *   connection before answering;
 * - exit codes: the fake ends the job's execution with the `Completed` condition Cloud Run sets
 *   (succeeded, or failed with "Task … failed with message: The container exited with an error");
 *   Cloud Run reports no exit code, so a failed execution reads exit code 1, as Prefect's worker reads it.
 *
 * Declared limits: a fake, not Google — no image pull, no IAM, no quota; executions run until told.
 */
import { randomUUID } from "node:crypto";
import gax from "google-gax";
import { CloudRunBackend } from "../../../core/backends/cloud-run-v2/index.ts";
import { cloudRunApiFactory } from "../../../functions/gcp/cloudRunApi.ts";
import { CloudRunFake } from "../../peers/gcp/cloudRunFake.ts";
import { renderCloudRun } from "../../unit/cloud-run-v2/render.ts";
import { type BackendHarness, describeBackendConformance, newFlowRun } from "./suite.ts";

async function cloudRunHarness(): Promise<BackendHarness> {
  const fake = await new CloudRunFake().start();
  const project = `pp-conf-${randomUUID().slice(0, 8)}`;
  const instance = () =>
    new CloudRunBackend({
      cloudRunApiFor: cloudRunApiFactory({
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
      const { config, ctx } = await renderCloudRun(
        { credentials: { project }, region: "europe-west1" },
        { run: newFlowRun() },
      );
      return { config, ctx };
    },
    failNextStartAmbiguously() {
      fake.failNextRun("cut");
    },
    async count() {
      return fake.executions.size;
    },
    async finish(_job, pid, exitCode) {
      fake.finish(pid, exitCode);
    },
    unknownPid: () => `dancing-dolphin-${randomUUID().replaceAll("-", "").slice(0, 16)}`,
    settleMs: 3_000,
    async teardown() {
      await fake.stop();
    },
  };
}

describeBackendConformance(
  "cloud-run-v2 (CloudRunBackend, real @google-cloud/run over REST, on a local Cloud Run v2 fake)",
  cloudRunHarness,
);
