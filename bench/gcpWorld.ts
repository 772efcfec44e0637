/**
 * @module
 * The fake Google Cloud of `npm run bench:gcp`: one Cloud Run Admin API v2 fake per side (the same
 * code, test/peers/gcp/cloudRunFake.ts, so each side's requests are its own), an OAuth token
 * endpoint for Prefect's worker, and what points the worker at them.
 *
 * Prefect's Cloud Run v2 worker builds its client with the endpoint `https://run.googleapis.com`
 * written in its code (prefect_gcp/workers/cloud_run_v2.py `_get_client`): a `sitecustomize.py` on
 * the worker's PYTHONPATH wraps `googleapiclient.discovery.build` so that this one endpoint becomes
 * the fake's; nothing else of the worker changes. Its credentials are Application Default
 * Credentials (the pool's `credentials` names only a project, as in the parity cases): a
 * service-account key file whose `token_uri` is the local token endpoint.
 *
 * Submission time of a run = when its Cloud Run execution was created, i.e. when the fake applied
 * the RunJob request (the same clock and place for both sides). Each execution ends (exit 0)
 * `runSeconds` after it started, so the worker's watch of it ends as it would.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CloudRunFake } from "../test/peers/gcp/cloudRunFake.ts";
import type { CloudWorld } from "./cloudBench.ts";
import type { Submission } from "./cloudReport.ts";

export const GCP_PROJECT = "pushpool-bench";
export const GCP_REGION = "us-central1";

type Json = Record<string, unknown>;

interface GcpSide {
  fake: CloudRunFake;
  /** Every RunJob the fake applied: the execution's flow run and when. */
  submissions: Submission[];
  /** Cloud Run requests by operation. */
  calls(): Record<string, number>;
}

/** `PREFECT__FLOW_RUN_ID` of the first container of a Job or Execution template. */
function flowRunIdOf(resource: Json): string | undefined {
  const template = (resource.template as Json | undefined) ?? {};
  const inner = (template.template as Json | undefined) ?? template;
  const containers = (inner.containers as Json[] | undefined) ?? [];
  const env = (containers[0]?.env as { name?: string; value?: string }[] | undefined) ?? [];
  return env.find((e) => e.name === "PREFECT__FLOW_RUN_ID")?.value;
}

/** One fake, with its executions recorded as they are created and ended `runSeconds` later. */
async function side(runSeconds: number): Promise<GcpSide & { stopTimers(): void }> {
  const fake = await new CloudRunFake().start();
  const submissions: Submission[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const set = fake.executions.set.bind(fake.executions);
  // The fake adds an execution to this map while it applies a RunJob (a run's submission).
  fake.executions.set = (name: string, execution: Json) => {
    if (!fake.executions.has(name)) {
      const flowRunId = flowRunIdOf(execution);
      if (flowRunId) submissions.push({ flowRunId, at: Date.now() });
      const timer = setTimeout(() => {
        timers.delete(timer);
        const e = fake.executions.get(name);
        if (e && !e.completionTime) fake.finish(name, 0);
      }, runSeconds * 1000);
      timers.add(timer);
    }
    return set(name, execution);
  };
  // prefect-gcp reads `latestCreatedExecution` of every job it GETs (`JobV2.get`: a KeyError
  // without it); Cloud Run answers it on a job with no execution yet, the fake leaves it out. Both
  // sides' fakes get it, as `{}` (pushpool reads a missing and an empty one alike).
  const setJob = fake.jobs.set.bind(fake.jobs);
  fake.jobs.set = (name: string, job: Json) => {
    if (!("latestCreatedExecution" in job)) job.latestCreatedExecution = {};
    return setJob(name, job);
  };
  const calls = () => {
    const out: Record<string, number> = {};
    for (const r of fake.requests) {
      const op = opOf(r.method, decodeURIComponent(r.path));
      out[op] = (out[op] ?? 0) + 1;
    }
    return out;
  };
  return {
    fake,
    submissions,
    calls,
    stopTimers: () => {
      for (const t of timers) clearTimeout(t);
    },
  };
}

function opOf(method: string, path: string): string {
  if (path.endsWith(":run")) return "RunJob";
  if (path.includes("/operations/")) return "GetOperation";
  if (/\/executions\/[^/]+$/.test(path)) return method === "GET" ? "GetExecution" : `${method} execution`;
  if (path.endsWith("/executions")) return "ListExecutions";
  if (path.endsWith("/jobs")) return "CreateJob";
  if (/\/jobs\/[^/]+$/.test(path))
    return method === "GET" ? "GetJob" : method === "DELETE" ? "DeleteJob" : method;
  return `${method} other`;
}

/** Answers every token request with a bearer token good for an hour. */
async function tokenServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ access_token: "bench-token", token_type: "Bearer", expires_in: 3600 })),
    );
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, server };
}

const SITECUSTOMIZE = `# pushpool bench: Prefect's Cloud Run v2 worker talks to the local fake (bench/gcpWorld.ts).
import os

_endpoint = os.environ.get("PUSHPOOL_BENCH_CLOUD_RUN_ENDPOINT")
if _endpoint:
    import googleapiclient.discovery as _discovery

    _build = _discovery.build

    def _bench_build(serviceName, version, *args, **kwargs):
        options = kwargs.get("client_options")
        if serviceName == "run" and getattr(options, "api_endpoint", None) == "https://run.googleapis.com":
            options.api_endpoint = _endpoint
        return _build(serviceName, version, *args, **kwargs)

    _discovery.build = _bench_build
`;

export async function startGcpWorld(o: { home: string; runSeconds: number }): Promise<CloudWorld> {
  const pushpool = await side(o.runSeconds);
  const worker = await side(o.runSeconds);
  const token = await tokenServer();
  const py = join(o.home, "worker-python");
  mkdirSync(py, { recursive: true });
  writeFileSync(join(py, "sitecustomize.py"), SITECUSTOMIZE);
  // A service-account key (an `authorized_user` file's token_uri is always Google's): a fresh RSA
  // key the token endpoint never checks, its token_uri the local one.
  const adc = join(o.home, "adc.json");
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  writeFileSync(
    adc,
    JSON.stringify({
      type: "service_account",
      project_id: GCP_PROJECT,
      private_key_id: "bench",
      private_key: privateKey,
      client_email: `bench@${GCP_PROJECT}.iam.gserviceaccount.com`,
      client_id: "1",
      token_uri: token.url,
    }),
  );
  const sides = { pushpool, worker };
  return {
    target: { cloud: "gcp", port: pushpool.fake.port },
    submissions: (s) => sides[s].submissions,
    calls: (s) => sides[s].calls(),
    describe:
      "one Cloud Run Admin API v2 fake per side (test/peers/gcp/cloudRunFake.ts; pushpool through @google-cloud/run's REST clients, " +
      "the worker through googleapiclient with only its hard-coded endpoint redirected), each container ending " +
      "with exit 0 a fixed time after its execution starts.",
    jobVariables: { credentials: { project: GCP_PROJECT }, region: GCP_REGION },
    workerEnv: {
      PYTHONPATH: py,
      PUSHPOOL_BENCH_CLOUD_RUN_ENDPOINT: `http://127.0.0.1:${worker.fake.port}`,
      GOOGLE_APPLICATION_CREDENTIALS: adc,
      GOOGLE_CLOUD_PROJECT: GCP_PROJECT,
    },
    async stop() {
      pushpool.stopTimers();
      worker.stopTimers();
      await Promise.all([pushpool.fake.stop(), worker.fake.stop()]);
      token.server.closeAllConnections();
      await new Promise<void>((ok) => token.server.close(() => ok()));
    },
  };
}
