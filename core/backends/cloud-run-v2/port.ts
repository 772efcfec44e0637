/**
 * @module
 * The narrow port through which the Cloud Run v2 backend reaches Google (Cloud Run Admin API v2,
 * `run.googleapis.com`). `functions/gcp/cloudRunApi.ts` implements it with `@google-cloud/run`'s
 * `JobsClient`/`ExecutionsClient`; every shape here is the REST/JSON one (proto3 JSON: camelCase,
 * enums as names, durations as `"600s"`, timestamps as RFC 3339), as Google documents it and as
 * Prefect's worker sends it. No SDK import here: core never loads a cloud SDK.
 *
 * Every method throws the SDK's own error on failure; {@link googleErrorShape} reads its gRPC
 * `code` and HTTP status (e.g. 5 / 404 NOT_FOUND, 6 / 409 ALREADY_EXISTS, 14 / 503 UNAVAILABLE).
 */

/** A Cloud Run v2 Job as REST returns it (the fields the backend reads; others ride along). */
export interface CloudRunJob {
  name?: string;
  labels?: Record<string, string>;
  executionCount?: number;
  latestCreatedExecution?: { name?: string; completionTime?: string | null } | null;
  terminalCondition?: CloudRunCondition | null;
  [key: string]: unknown;
}

/** A Cloud Run v2 Condition (REST JSON). */
export interface CloudRunCondition {
  type?: string;
  state?: string;
  message?: string;
  reason?: string;
  executionReason?: string;
  [key: string]: unknown;
}

/** A Cloud Run v2 Execution (REST JSON; the fields the backend reads). */
export interface CloudRunExecution {
  name?: string;
  job?: string;
  createTime?: string | null;
  startTime?: string | null;
  completionTime?: string | null;
  conditions?: CloudRunCondition[];
  runningCount?: number;
  succeededCount?: number;
  failedCount?: number;
  cancelledCount?: number;
  logUri?: string;
  [key: string]: unknown;
}

export interface CloudRunApi {
  /** The project every name is under: the rule of ./credentials.ts (block, key, ADC). */
  project(): Promise<string>;
  /**
   * CreateJob(parent = projects/{project}/locations/{region}, jobId, job) and waits for its
   * operation: the created Job. ALREADY_EXISTS (409) is thrown as the SDK throws it.
   */
  createJob(parent: string, jobId: string, job: Record<string, unknown>): Promise<CloudRunJob>;
  /** GetJob(name); `null` when it does not exist (NOT_FOUND). */
  getJob(name: string): Promise<CloudRunJob | null>;
  /**
   * RunJob(name), sent once (no automatic retry): the execution's name from the operation's
   * metadata (the operation itself runs until the execution ends; it is not awaited).
   */
  runJob(name: string): Promise<{ execution: string | null }>;
  /** GetExecution(name); `null` when it does not exist. */
  getExecution(name: string): Promise<CloudRunExecution | null>;
  /** ListExecutions(parent = the job), every page; `[]` when the job does not exist. */
  listExecutions(job: string): Promise<CloudRunExecution[]>;
  /** DeleteExecution(name), its operation awaited; NOT_FOUND thrown. */
  deleteExecution(name: string): Promise<void>;
  /** DeleteJob(name), its operation awaited; NOT_FOUND thrown. */
  deleteJob(name: string): Promise<void>;
}

/**
 * Rendered `credentials` of a `cloud-run-v2` pool: a GcpCredentials block's data, or `{}`/null for
 * the function's own identity (Application Default Credentials).
 */
export interface GcpCredentialsData {
  service_account_info?: Record<string, unknown> | string | null;
  service_account_file?: string | null;
  project?: string | null;
  [key: string]: unknown;
}

/** Returns the CloudRunApi for a pool's credentials (cached by the runtime per distinct credentials). */
export type CloudRunApiFactory = (credentials: GcpCredentialsData | null) => CloudRunApi;

/** gRPC status codes the backend reads. */
export const GRPC = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** gRPC code of an HTTP status, as Google maps them (https://cloud.google.com/apis/design/errors). */
const FROM_HTTP: Readonly<Record<number, number>> = {
  400: GRPC.INVALID_ARGUMENT,
  401: GRPC.UNAUTHENTICATED,
  403: GRPC.PERMISSION_DENIED,
  404: GRPC.NOT_FOUND,
  409: GRPC.ALREADY_EXISTS,
  412: GRPC.FAILED_PRECONDITION,
  429: GRPC.RESOURCE_EXHAUSTED,
  499: GRPC.CANCELLED,
  500: GRPC.INTERNAL,
  501: 12,
  503: GRPC.UNAVAILABLE,
  504: GRPC.DEADLINE_EXCEEDED,
};

/** Google's `{"error": {"message", "status"}}` inside an error's message (REST errors carry the body). */
function bodyOf(message: string): { message?: string; status?: string } {
  try {
    const parsed = JSON.parse(message) as { error?: { message?: unknown; status?: unknown } };
    const m = parsed?.error?.message;
    const s = parsed?.error?.status;
    return { message: typeof m === "string" ? m : undefined, status: typeof s === "string" ? s : undefined };
  } catch {
    return {};
  }
}

const BY_NAME: Readonly<Record<string, number>> = { ...GRPC };

/**
 * The gRPC code and HTTP status of a Google client error. Over REST the client throws gaxios'
 * error (`status` = the HTTP status, the body in `message`) or a GoogleError (`code` = gRPC);
 * with no answer at all (a reset, a timeout) there is neither (`code` is a string like ECONNRESET).
 */
export function googleErrorShape(error: unknown): { code?: number; status?: number; message: string } {
  if (typeof error !== "object" || error === null) return { message: String(error) };
  const e = error as { code?: unknown; status?: unknown; message?: unknown };
  const text = typeof e.message === "string" ? e.message : String(error);
  const body = bodyOf(text);
  const status =
    typeof e.status === "number" ? e.status : typeof e.code === "number" && e.code > 16 ? e.code : undefined;
  let code: number | undefined;
  if (body.status && BY_NAME[body.status] !== undefined) code = BY_NAME[body.status];
  else if (status !== undefined)
    code = FROM_HTTP[status] ?? (status >= 500 ? GRPC.UNAVAILABLE : GRPC.FAILED_PRECONDITION);
  else if (typeof e.code === "number") code = e.code;
  return { code, status, message: body.message ?? text };
}
