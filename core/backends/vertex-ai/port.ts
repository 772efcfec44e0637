/**
 * @module
 * The narrow port through which the Vertex AI backend reaches Google (Vertex AI `JobService`, v1,
 * on the regional endpoint `{region}-aiplatform.googleapis.com`). `functions/gcp/vertexApi.ts`
 * implements it with `@google-cloud/aiplatform`'s `JobServiceClient`, loaded lazily. Every shape
 * here is the REST/JSON one (proto3 JSON: camelCase, enums as names, durations as `"3600s"`).
 * No SDK import here: core never loads a cloud SDK.
 *
 * Every method throws the SDK's own error on failure; the Cloud Run port's `googleErrorShape`
 * (shared: one Google error format) reads its gRPC code and HTTP status.
 */
import type { GcpCredentialsData } from "../cloud-run-v2/port.ts";

export type { GcpCredentialsData } from "../cloud-run-v2/port.ts";

/** A `google.cloud.aiplatform.v1.CustomJob` as REST returns it (the fields the backend reads). */
export interface VertexCustomJob {
  /** `projects/{project}/locations/{region}/customJobs/{id}`. */
  name?: string;
  displayName?: string;
  /** A `JobState` name: `JOB_STATE_QUEUED`, `JOB_STATE_RUNNING`, `JOB_STATE_SUCCEEDED`… */
  state?: string;
  error?: { code?: number; message?: string } | null;
  labels?: Record<string, string>;
  createTime?: string | null;
  [key: string]: unknown;
}

export interface VertexApi {
  /** The project every name is under: the block's `project`, else the key's `project_id`, else ADC's. */
  project(): Promise<string>;
  /** The e-mail of the service account these credentials are (the key's `client_email`, or ADC's), or null. */
  serviceAccountEmail(): Promise<string | null>;
  /** CreateCustomJob(parent, customJob), sent once (no automatic retry): the created job. */
  createCustomJob(parent: string, job: Record<string, unknown>): Promise<VertexCustomJob>;
  /** GetCustomJob(name); null when it does not exist (NOT_FOUND). */
  getCustomJob(name: string): Promise<VertexCustomJob | null>;
  /** ListCustomJobs(parent, filter), every page. */
  listCustomJobs(parent: string, filter: string): Promise<VertexCustomJob[]>;
  /** CancelCustomJob(name). NOT_FOUND and FAILED_PRECONDITION (already ended) are thrown as the SDK throws them. */
  cancelCustomJob(name: string): Promise<void>;
}

/**
 * The VertexApi for a pool's rendered `credentials` (null → the function's own identity) in one
 * region (Vertex's endpoints are regional). The runtime caches one per distinct pair.
 */
export type VertexApiFactory = (credentials: GcpCredentialsData | null, region: string) => VertexApi;
