/**
 * @module
 * `@google-cloud/run` (v2 `JobsClient` / `ExecutionsClient`, deep imports, REST transport
 * `fallback: true` on google-gax's fallback module: no gRPC at run time) as the Cloud Run
 * backend's {@link CloudRunApi} port, and the factory that maps a pool's rendered GcpCredentials
 * block to (cached) clients:
 *
 * - a key (`service_account_info`) → the clients authenticate with it; a key file likewise;
 *   neither → Application Default Credentials (the function's own service account);
 * - the project: core's rule (core/backends/cloud-run-v2/credentials.ts) — the block's `project`,
 *   else the key's `project_id`, else what ADC detects (`GOOGLE_CLOUD_PROJECT` first).
 *
 * Cloud Run's generated config gives every Jobs/Executions method no retry codes, so RunJob goes
 * out exactly once per call; core's start-once protocol decides what follows a failure. A job body
 * field the protos do not know is refused here with Google's INVALID_ARGUMENT (the SDK's
 * serializer would silently drop it). Tests inject `apiEndpoint`/`port`/`protocol`/`authClient`.
 */
import { readFile } from "node:fs/promises";
import { ExecutionsClient } from "@google-cloud/run/build/src/v2/executions_client.js";
import { JobsClient } from "@google-cloud/run/build/src/v2/jobs_client.js";
import * as gaxFallback from "google-gax/fallback";
import { chooseProject, readGcpCredentials } from "../../core/backends/cloud-run-v2/credentials.ts";
import {
  type CloudRunApi,
  type CloudRunApiFactory,
  type CloudRunExecution,
  type CloudRunJob,
  type GcpCredentialsData,
  GRPC,
  googleErrorShape,
} from "../../core/backends/cloud-run-v2/port.ts";
import { runType, toRest, toSdk, unknownFields } from "./protoJson.ts";

const JOB = "google.cloud.run.v2.Job";
const EXECUTION = "google.cloud.run.v2.Execution";

/** What the runtime knows before any pool is seen. */
export interface GcpBaseConfig {
  /** Cloud Run endpoint host (default `run.googleapis.com`); tests give `127.0.0.1`. */
  apiEndpoint?: string;
  port?: number;
  protocol?: "http" | "https";
  /** An auth client for every call (tests: google-auth-library's PassThroughClient). */
  authClient?: unknown;
  /** Where `GOOGLE_CLOUD_PROJECT` / `GCLOUD_PROJECT` are read (default `process.env`). */
  env?: Record<string, string | undefined>;
}

type ClientOptions = ConstructorParameters<typeof JobsClient>[0];

function notFound(error: unknown): boolean {
  return googleErrorShape(error).code === GRPC.NOT_FOUND;
}

/** The port over one pair of clients (one set of credentials). */
export function cloudRunApi(credentials: GcpCredentialsData | null, base: GcpBaseConfig = {}): CloudRunApi {
  const auth = readGcpCredentials(credentials);
  const env = base.env ?? process.env;
  const options: Record<string, unknown> = { fallback: true };
  if (base.apiEndpoint) options.apiEndpoint = base.apiEndpoint;
  if (base.port) options.port = base.port;
  if (base.protocol) options.protocol = base.protocol;
  if (base.authClient) options.authClient = base.authClient;
  else if (auth.kind === "key") options.credentials = auth.key;
  else if (auth.kind === "keyFile") options.keyFilename = auth.file;
  const gax = gaxFallback as unknown as ConstructorParameters<typeof JobsClient>[1];
  const jobs = new JobsClient(options as ClientOptions, gax);
  const executions = new ExecutionsClient(options as ClientOptions, gax);

  let project: Promise<string> | null = null;
  const keyFromFile = async () =>
    auth.kind === "keyFile"
      ? (JSON.parse(await readFile(auth.file, "utf8")) as Record<string, unknown>)
      : null;
  const detect = async () =>
    env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT || (await jobs.getProjectId().catch(() => null)) || null;

  return {
    project() {
      project ??= chooseProject(auth, keyFromFile, detect).catch((error: unknown) => {
        project = null; // a later call may succeed (ADC's metadata server was slow)
        throw error;
      });
      return project;
    },
    async createJob(parent, jobId, job) {
      const unknown = unknownFields(runType(JOB), job);
      if (unknown.length > 0)
        throw Object.assign(
          new Error(
            `Invalid JSON payload received. ${unknown.map((p) => `Unknown name "${p.split(".").pop()}" at 'job${p.includes(".") ? `.${p.slice(0, p.lastIndexOf("."))}` : ""}': Cannot find field.`).join(" ")}`,
          ),
          { code: GRPC.INVALID_ARGUMENT },
        );
      const [operation] = await jobs.createJob({ parent, jobId, job: toSdk(JOB, job) });
      const [created] = await operation.promise();
      return toRest<CloudRunJob>(JOB, created);
    },
    async getJob(name) {
      try {
        const [job] = await jobs.getJob({ name });
        return toRest<CloudRunJob>(JOB, job);
      } catch (error) {
        if (notFound(error)) return null;
        throw error;
      }
    },
    async runJob(name) {
      const [operation] = await jobs.runJob({ name });
      const metadata = operation.metadata as { name?: string } | null | undefined;
      return { execution: metadata?.name || null };
    },
    async getExecution(name) {
      try {
        const [execution] = await executions.getExecution({ name });
        return toRest<CloudRunExecution>(EXECUTION, execution);
      } catch (error) {
        if (notFound(error)) return null;
        throw error;
      }
    },
    async listExecutions(job) {
      try {
        const [list] = await executions.listExecutions({ parent: job });
        return list.map((e) => toRest<CloudRunExecution>(EXECUTION, e));
      } catch (error) {
        if (notFound(error)) return [];
        throw error;
      }
    },
    async deleteExecution(name) {
      const [operation] = await executions.deleteExecution({ name });
      await operation.promise();
    },
    async deleteJob(name) {
      const [operation] = await jobs.deleteJob({ name });
      await operation.promise();
    },
  };
}

/** A factory caching one port per distinct credentials block. */
export function cloudRunApiFactory(base: GcpBaseConfig = {}): CloudRunApiFactory {
  const cache = new Map<string, CloudRunApi>();
  return (credentials) => {
    const key = JSON.stringify(credentials ?? null);
    let api = cache.get(key);
    if (!api) {
      api = cloudRunApi(credentials, base);
      cache.set(key, api);
    }
    return api;
  };
}
