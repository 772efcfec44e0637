/**
 * @module
 * `@google-cloud/aiplatform`'s v1 `JobServiceClient` as the Vertex backend's {@link VertexApi}
 * port, and the factory that maps a pool's rendered GcpCredentials block and region to (cached)
 * clients. The client is loaded lazily — a dynamic import of the deep path
 * `build/src/v1/job_service_client.js` on the first Vertex call — over REST (`fallback: true` on
 * google-gax's fallback module): a cold start that serves no Vertex pool pays nothing for it.
 *
 * - credentials: a key (`service_account_info`) or a key file authenticates the client; neither →
 *   Application Default Credentials (the function's own service account);
 * - the project: core's rule (the block's `project`, else the key's `project_id`, else ADC's);
 * - the service account e-mail (the run-as account when the pool names none): the key's
 *   `client_email`, or what ADC's credentials say (on Google Cloud, the metadata server's);
 * - the endpoint is regional, `{region}-aiplatform.googleapis.com`, as Prefect's worker uses.
 *
 * JobService's generated config retries none of these methods, so CreateCustomJob goes out once
 * per call; core's start-once protocol decides what follows a failure. A CustomJob field the protos
 * do not know, or an enum name they do not have (an accelerator type typo), is refused here with
 * Google's INVALID_ARGUMENT (the serializer would drop the one and send the other as UNSPECIFIED).
 * Tests inject `apiEndpoint`/`port`/`protocol`/`authClient` (./cloudRunApi.ts's GcpBaseConfig).
 */
import { readFile } from "node:fs/promises";
import type { JobServiceClient } from "@google-cloud/aiplatform/build/src/v1/job_service_client.js";
import * as gaxFallback from "google-gax/fallback";
import { chooseProject, readGcpCredentials } from "../../core/backends/cloud-run-v2/credentials.ts";
import { GRPC, googleErrorShape } from "../../core/backends/cloud-run-v2/port.ts";
import type {
  GcpCredentialsData,
  VertexApi,
  VertexApiFactory,
  VertexCustomJob,
} from "../../core/backends/vertex-ai/port.ts";
import type { GcpBaseConfig } from "./cloudRunApi.ts";
import { badEnumValues, toRest, toSdk, unknownVertexFields } from "./vertexProtoJson.ts";

const CUSTOM_JOB = "CustomJob";

type Client = JobServiceClient;
type ClientCtor = typeof JobServiceClient;

let loading: Promise<ClientCtor> | null = null;

/** The JobServiceClient class, imported on first use (the deep path: not the 80 MB index). */
function clientClass(): Promise<ClientCtor> {
  loading ??= import("@google-cloud/aiplatform/build/src/v1/job_service_client.js").then(
    (m) => (m as { JobServiceClient: ClientCtor }).JobServiceClient,
    (error: unknown) => {
      loading = null;
      throw error;
    },
  );
  return loading;
}

function notFound(error: unknown): boolean {
  return googleErrorShape(error).code === GRPC.NOT_FOUND;
}

/** The port over one client (one set of credentials, one region). */
export function vertexApi(
  credentials: GcpCredentialsData | null,
  region: string,
  base: GcpBaseConfig = {},
): VertexApi {
  const auth = readGcpCredentials(credentials);
  const env = base.env ?? process.env;
  const options: Record<string, unknown> = {
    fallback: true,
    apiEndpoint: base.apiEndpoint ?? `${region}-aiplatform.googleapis.com`,
  };
  if (base.port) options.port = base.port;
  if (base.protocol) options.protocol = base.protocol;
  if (base.authClient) options.authClient = base.authClient;
  else if (auth.kind === "key") options.credentials = auth.key;
  else if (auth.kind === "keyFile") options.keyFilename = auth.file;

  let client: Promise<Client> | null = null;
  const jobs = () => {
    // A key without private_key never gets here: readGcpCredentials refuses it (it would fail in
    // the client's background stubs, an unhandled rejection).
    client ??= clientClass().then(
      (Ctor) =>
        new Ctor(
          options as ConstructorParameters<ClientCtor>[0],
          gaxFallback as unknown as ConstructorParameters<ClientCtor>[1],
        ),
    );
    return client;
  };
  const keyFromFile = async () =>
    auth.kind === "keyFile"
      ? (JSON.parse(await readFile(auth.file, "utf8")) as Record<string, unknown>)
      : null;
  const detect = async () =>
    env.GOOGLE_CLOUD_PROJECT ||
    env.GCLOUD_PROJECT ||
    (await (await jobs()).getProjectId().catch(() => null)) ||
    null;
  let project: Promise<string> | null = null;
  let email: string | null = null;

  return {
    project() {
      project ??= chooseProject(auth, keyFromFile, detect).catch((error: unknown) => {
        project = null; // a later call may succeed (ADC's metadata server was slow)
        throw error;
      });
      return project;
    },
    async serviceAccountEmail() {
      if (email) return email;
      const key = auth.kind === "key" ? auth.key : auth.kind === "keyFile" ? await keyFromFile() : null;
      let found: string | null | undefined;
      if (key) found = typeof key.client_email === "string" ? key.client_email : null;
      else
        found = await (await jobs()).auth
          .getCredentials()
          .then((creds) => creds.client_email)
          .catch(() => null);
      email = found || null; // kept once known: ADC asks the metadata server
      return email;
    },
    async createCustomJob(parent, job) {
      const unknown = unknownVertexFields(CUSTOM_JOB, job);
      if (unknown.length > 0)
        throw Object.assign(
          new Error(
            `Invalid JSON payload received. ${unknown.map((p) => `Unknown name "${p.split(".").pop()}" at 'custom_job${p.includes(".") ? `.${p.slice(0, p.lastIndexOf("."))}` : ""}': Cannot find field.`).join(" ")}`,
          ),
          { code: GRPC.INVALID_ARGUMENT },
        );
      const badEnums = badEnumValues(CUSTOM_JOB, job);
      if (badEnums.length > 0)
        throw Object.assign(
          new Error(
            badEnums
              .map(
                (p) => `Invalid value at 'custom_job.${p.split(" ")[0]}' ${p.split(" ").slice(1).join(" ")}`,
              )
              .join("; "),
          ),
          { code: GRPC.INVALID_ARGUMENT },
        );
      let customJob: Record<string, unknown>;
      try {
        customJob = toSdk(CUSTOM_JOB, job);
      } catch (error) {
        throw Object.assign(new Error(`Invalid JSON payload received: ${(error as Error).message}`), {
          code: GRPC.INVALID_ARGUMENT,
        });
      }
      const [created] = await (await jobs()).createCustomJob({ parent, customJob });
      return toRest<VertexCustomJob>(CUSTOM_JOB, created);
    },
    async getCustomJob(name) {
      try {
        const [job] = await (await jobs()).getCustomJob({ name });
        return toRest<VertexCustomJob>(CUSTOM_JOB, job);
      } catch (error) {
        if (notFound(error)) return null;
        throw error;
      }
    },
    async listCustomJobs(parent, filter) {
      const [list] = await (await jobs()).listCustomJobs({ parent, filter });
      return list.map((j) => toRest<VertexCustomJob>(CUSTOM_JOB, j));
    },
    async cancelCustomJob(name) {
      await (await jobs()).cancelCustomJob({ name });
    },
  };
}

/** A factory caching one port per distinct (credentials block, region). */
export function vertexApiFactory(base: GcpBaseConfig = {}): VertexApiFactory {
  const cache = new Map<string, VertexApi>();
  return (credentials, region) => {
    const key = JSON.stringify([credentials ?? null, region]);
    let api = cache.get(key);
    if (!api) {
      api = vertexApi(credentials, region, base);
      cache.set(key, api);
    }
    return api;
  };
}
