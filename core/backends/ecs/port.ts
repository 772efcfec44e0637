/**
 * @module
 * The narrow port through which the ECS backend reaches AWS. `functions/aws/` implements it with
 * the AWS SDK v3 clients (ECS, EC2, CloudWatch Logs); unit tests use a hand-written fake. Only
 * type imports from the SDK are allowed here — core never loads a cloud SDK at runtime.
 *
 * Every method throws the SDK's own error on failure (its `name`, e.g. `ThrottlingException`,
 * `ClientException`, `InvalidParameterException`, is what the backend classifies).
 */
import type {
  DescribeTasksCommandOutput,
  RegisterTaskDefinitionCommandInput,
  RunTaskCommandInput,
  RunTaskCommandOutput,
  Tag,
  TaskDefinition,
} from "@aws-sdk/client-ecs";

export type TaskDefinitionSpec = RegisterTaskDefinitionCommandInput;
export type RunTaskRequest = RunTaskCommandInput;

export interface EcsApi {
  /** The region the clients talk to (default awslogs region, ARNs). */
  readonly region: string;
  /** DescribeTaskDefinition(include TAGS). `null` when it does not exist (ClientException). */
  describeTaskDefinition(
    taskDefinition: string,
  ): Promise<{ taskDefinition: TaskDefinition; tags: Tag[] } | null>;
  /**
   * ListTaskDefinitions(familyPrefix = family, status ACTIVE): the ARNs of the newest ACTIVE
   * revisions of exactly `family` (other families sharing the prefix left out), newest first, at
   * most `limit`.
   */
  listTaskDefinitionArns(family: string, limit: number): Promise<string[]>;
  /** RegisterTaskDefinition; returns the registered definition. */
  registerTaskDefinition(spec: TaskDefinitionSpec): Promise<TaskDefinition>;
  /** DeregisterTaskDefinition. */
  deregisterTaskDefinition(taskDefinitionArn: string): Promise<void>;
  /** RunTask. */
  runTask(request: RunTaskRequest): Promise<Pick<RunTaskCommandOutput, "tasks" | "failures">>;
  /**
   * ListTasks(cluster, startedBy) for both desired statuses: task ARNs. Must not miss a task that
   * existed before the call, even one stopped meanwhile (RUNNING is asked first, then STOPPED).
   */
  listTasksStartedBy(cluster: string | undefined, startedBy: string): Promise<string[]>;
  /** DescribeTasks(include TAGS). */
  describeTasks(
    cluster: string,
    taskArns: string[],
  ): Promise<Pick<DescribeTasksCommandOutput, "tasks" | "failures">>;
  /** StopTask. */
  stopTask(cluster: string, taskArn: string, reason: string): Promise<void>;
  /** EC2 DescribeVpcs: the given VPC, or the default one when `vpcId` is undefined; null when none. */
  findVpc(vpcId?: string): Promise<{ vpcId: string } | null>;
  /** EC2 DescribeSubnets filtered by VPC: subnet ids. */
  listSubnets(vpcId: string): Promise<string[]>;
  /** CloudWatch Logs GetLogEvents (the tail of a stream, oldest first); [] when the stream is missing. */
  tailLogEvents(
    group: string,
    stream: string,
    limit: number,
  ): Promise<{ timestamp: number; message: string }[]>;
}

/**
 * Rendered `aws_credentials` of a pool (an AwsCredentials block's data, or `{}`/null for the
 * function's own identity). The runtime maps it to SDK clients.
 */
export interface AwsCredentialsData {
  aws_access_key_id?: string | null;
  aws_secret_access_key?: string | null;
  aws_session_token?: string | null;
  profile_name?: string | null;
  region_name?: string | null;
  aws_client_parameters?: { endpoint_url?: string | null; [key: string]: unknown } | null;
  assume_role_arn?: string | null;
  [key: string]: unknown;
}

/** Returns the EcsApi for a pool's credentials (cached by the runtime per distinct credentials). */
export type EcsApiFactory = (credentials: AwsCredentialsData | null) => EcsApi;
