/**
 * @module
 * Which AWS failures are worth retrying. Capacity and throttling become {@link TransientError}
 * (delayed redelivery — never Crashed); an invalid request becomes an
 * {@link InvalidJobConfigurationError} naming the field, or a {@link SubmitError}; every message
 * keeps the AWS error name and reason. RunTask wording follows Prefect's
 * `_report_task_run_creation_failure` ("Failed to run ECS task…").
 */
import {
  InvalidJobConfigurationError,
  PushpoolError,
  SubmitError,
  TransientError,
} from "../../shared/errors.ts";

/** Seconds to wait before retrying after throttling / a 5xx. */
export const THROTTLE_RETRY_SECONDS = 5;
/** Seconds to wait before retrying when ECS has no capacity for the task. */
export const CAPACITY_RETRY_SECONDS = 60;

const TRANSIENT_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ServerException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
  "InternalError",
  "InternalServerError",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
]);
const NETWORK_CODES = new Set(["ECONNRESET", "ETIMEDOUT", "EPIPE", "ECONNREFUSED", "EAI_AGAIN", "ENOTFOUND"]);
const TRANSIENT_MESSAGES = [/too many concurrent attempts/i, /rate exceeded/i];

interface AwsErrorShape {
  name: string;
  message: string;
  code?: string;
  status?: number;
  fault?: string;
  retryable: boolean;
}

/** The parts of an SDK v3 error (or any thrown value) classification looks at. */
export function awsErrorShape(error: unknown): AwsErrorShape {
  if (typeof error !== "object" || error === null)
    return { name: "Error", message: String(error), retryable: false };
  const e = error as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    $fault?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  return {
    name: typeof e.name === "string" ? e.name : "Error",
    message: typeof e.message === "string" ? e.message : String(error),
    code: typeof e.code === "string" ? e.code : undefined,
    status: typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined,
    fault: typeof e.$fault === "string" ? e.$fault : undefined,
    retryable: Boolean(e.$retryable),
  };
}

/** True for throttling, 5xx, timeouts and network failures. */
export function isTransientAwsError(error: unknown): boolean {
  if (PushpoolError.is(error)) return error.retryable;
  const e = awsErrorShape(error);
  return (
    TRANSIENT_NAMES.has(e.name) ||
    (e.code !== undefined && NETWORK_CODES.has(e.code)) ||
    e.fault === "server" ||
    e.retryable ||
    (e.status !== undefined && (e.status >= 500 || e.status === 429)) ||
    TRANSIENT_MESSAGES.some((re) => re.test(e.message))
  );
}

/** `Name: message` of an AWS error. */
export function awsReason(error: unknown): string {
  const e = awsErrorShape(error);
  return `${e.name}: ${e.message}`;
}

/** Generic classification: transient → TransientError, else SubmitError; `what` prefixes the message. */
export function classifyAwsError(error: unknown, what: string): PushpoolError {
  if (PushpoolError.is(error)) return error;
  if (isTransientAwsError(error))
    return new TransientError(`${what}: ${awsReason(error)}`, THROTTLE_RETRY_SECONDS, { cause: error });
  return new SubmitError(`${what}: ${awsReason(error)}`, { cause: error });
}

/** What a RunTask failure message may refer to. */
export interface RunTaskContext {
  cluster: string | undefined;
  launchType: string | undefined;
  configureCloudwatchLogs: boolean;
  executionRoleArn: string | null;
  /** True when the task definition came from `task_definition_arn` (not registered by pushpool). */
  linkedTaskDefinition: boolean;
}

/** Classifies an error thrown by RunTask, with Prefect's friendly rewrites. */
export function classifyRunTaskError(error: unknown, ctx: RunTaskContext): PushpoolError {
  if (PushpoolError.is(error)) return error;
  const e = awsErrorShape(error);
  const reason = `${e.name}: ${e.message}`;
  const lower = reason.toLowerCase();
  const cluster = ctx.cluster ?? "default";
  const opts = { cause: error };
  if (isTransientAwsError(error))
    return new TransientError(`Failed to run ECS task: ${reason}`, THROTTLE_RETRY_SECONDS, opts);
  if (e.name === "ClusterNotFoundException" || reason.includes("ClusterNotFoundException"))
    return new InvalidJobConfigurationError(
      `cluster: Failed to run ECS task, cluster '${cluster}' not found. Confirm that the cluster is configured in your region. (${reason})`,
      opts,
    );
  if (reason.includes("No Container Instances"))
    return new TransientError(
      `Failed to run ECS task, cluster '${cluster}' does not appear to have any container instances associated with it. Confirm that you have EC2 container instances available. (${reason})`,
      CAPACITY_RETRY_SECONDS,
      opts,
    );
  if (
    lower.includes("failed to validate logger args") &&
    reason.includes("AccessDenied") &&
    ctx.configureCloudwatchLogs
  )
    return new InvalidJobConfigurationError(
      `execution_role_arn: Failed to run ECS task, the attached execution role does not appear to have sufficient permissions. Ensure that the execution role '${ctx.executionRoleArn ?? ""}' has permissions logs:CreateLogStream, logs:CreateLogGroup, and logs:PutLogEvents. (${reason})`,
      opts,
    );
  if (reason.includes("TaskDefinition is inactive")) {
    if (!ctx.linkedTaskDefinition)
      return new TransientError(
        `Failed to run ECS task, the task definition was deregistered meanwhile; a new one is registered on retry. (${reason})`,
        THROTTLE_RETRY_SECONDS,
        opts,
      );
    return new InvalidJobConfigurationError(
      `task_definition_arn: Failed to run ECS task, the task definition is inactive. Re-register the task definition or remove the \`task_definition_arn\` from your work pool configuration to allow pushpool to register a new task definition automatically. (${reason})`,
      opts,
    );
  }
  if (lower.includes("capacity provider") || lower.includes("no capacity"))
    return new InvalidJobConfigurationError(
      `capacity_provider_strategy: Failed to run ECS task due to a capacity provider error. Verify that your Fargate or EC2 capacity providers are correctly configured for the cluster and that the requested capacity is available. (${reason})`,
      opts,
    );
  if (e.name === "InvalidParameterException" && /subnet|security group|network/.test(lower))
    return new InvalidJobConfigurationError(
      `network_configuration: Failed to run ECS task due to a network configuration error. Verify the subnets and security groups in your work pool's network configuration are valid and belong to the expected VPC. (${reason})`,
      opts,
    );
  if (e.name === "ConflictException")
    return new SubmitError(
      `Failed to run ECS task: a task was already started for this claim with different parameters (${reason})`,
      opts,
    );
  return new SubmitError(`Failed to run ECS task: ${reason}`, opts);
}

/** RunTask `failures` reasons that mean "no capacity right now". */
const CAPACITY_FAILURES = [/^RESOURCE:/i, /^AGENT/i, /capacity/i, /timeout waiting for network interface/i];

/** Classifies a RunTask response entry in `failures`: capacity → TransientError, else SubmitError. */
export function classifyRunTaskFailure(failure: {
  reason?: string;
  detail?: string;
  arn?: string;
}): PushpoolError {
  const reason = failure.reason || "unknown reason";
  const message = `Failed to run ECS task: ${reason}${failure.detail ? ` (${failure.detail})` : ""}`;
  if (CAPACITY_FAILURES.some((re) => re.test(reason)) || TRANSIENT_MESSAGES.some((re) => re.test(reason)))
    return new TransientError(message, CAPACITY_RETRY_SECONDS);
  return new SubmitError(message);
}
