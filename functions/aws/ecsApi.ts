/**
 * @module
 * The AWS SDK v3 implementation of the ECS backend's {@link EcsApi} port, and the factory that
 * maps a pool's rendered `aws_credentials` to (cached) SDK clients.
 *
 * - Endpoint: `aws_client_parameters.endpoint_url`, else `baseConfig.endpoint`, else
 *   `AWS_ENDPOINT_URL` (tests point it at moto), else the SDK default.
 * - Region: `region_name`, else `baseConfig.region`, else `AWS_REGION` / `AWS_DEFAULT_REGION`.
 * - Credentials: explicit keys (+ session token) or `profile_name`; otherwise the function's own
 *   identity (the SDK default chain). `assume_role_arn` is not supported yet (ValidationError).
 *
 * The EC2 and CloudWatch Logs clients are loaded on first use: most dispatches never need them.
 *
 * Every client resolves its middleware stack once per command class (the SDK's `cacheMiddleware`),
 * not on every call: nothing here adds middleware to a command, and a burst of RunTasks paid that
 * resolution on each one (3 % of the dispatch handler's CPU in `npm run bench:aws`'s profile).
 *
 * RunTask goes out **once** per call (its own client, `maxAttempts: 1`): the SDK's automatic retry
 * after a lost answer would start a second task wherever `clientToken` is not honoured. The ECS
 * backend retries it itself, looking for the claim's task first when the failure was ambiguous
 * (core/backends/ecs/claimTask.ts). Every other call keeps the SDK's retries.
 */

import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { EC2Client } from "@aws-sdk/client-ec2";
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import type {
  AwsCredentialsData,
  EcsApi,
  EcsApiFactory,
  RunTaskRequest,
  TaskDefinitionSpec,
} from "../../core/backends/ecs/port.ts";
import { ConfigError, ValidationError } from "../../core/shared/errors.ts";

/** What the runtime knows before any pool is seen (its own region, a test endpoint). */
export interface AwsBaseConfig {
  region?: string;
  endpoint?: string;
  /** Static credentials for every client (tests); by default the SDK's provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Where `AWS_REGION`, `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL` are read (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/** The SDK client settings shared by ECS, EC2 and Logs for one set of credentials. */
export interface ClientSettings {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  profile?: string;
}

export function clientSettings(creds: AwsCredentialsData | null, base: AwsBaseConfig = {}): ClientSettings {
  const env = base.env ?? process.env;
  const c = creds ?? {};
  if (c.assume_role_arn) {
    throw new ValidationError(
      "aws_credentials.assume_role_arn is not supported yet by pushpool; give the function's role access instead",
    );
  }
  const region = c.region_name || base.region || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new ConfigError("no AWS region: set aws_credentials.region_name or AWS_REGION");
  }
  const endpoint = c.aws_client_parameters?.endpoint_url || base.endpoint || env.AWS_ENDPOINT_URL;
  const settings: ClientSettings = { region };
  if (endpoint) settings.endpoint = endpoint;
  if (c.aws_access_key_id && c.aws_secret_access_key) {
    settings.credentials = {
      accessKeyId: c.aws_access_key_id,
      secretAccessKey: c.aws_secret_access_key,
      ...(c.aws_session_token ? { sessionToken: c.aws_session_token } : {}),
    };
  } else if (c.aws_access_key_id || c.aws_secret_access_key) {
    throw new ValidationError(
      "aws_credentials needs both aws_access_key_id and aws_secret_access_key (or neither)",
    );
  } else if (c.profile_name) {
    settings.profile = c.profile_name;
  } else if (base.credentials) {
    settings.credentials = base.credentials;
  }
  return settings;
}

function errorName(error: unknown): string {
  return typeof error === "object" && error !== null ? String((error as { name?: unknown }).name) : "";
}

/** `arn:…:task-definition/<family>:<revision>` → family. */
function familyOfArn(arn: string): string {
  const name = arn.slice(arn.lastIndexOf("/") + 1);
  return name.slice(0, name.lastIndexOf(":"));
}

function revisionOfArn(arn: string): number {
  return Number(arn.slice(arn.lastIndexOf(":") + 1)) || 0;
}

export class SdkEcsApi implements EcsApi {
  readonly region: string;
  readonly ecs: ECSClient;
  /** The same settings without the SDK's retries: RunTask only. */
  readonly ecsOnce: ECSClient;
  private ec2Client?: Promise<EC2Client>;
  private logsClient?: Promise<CloudWatchLogsClient>;

  /** What every client of these settings is built with. */
  private readonly clientConfig: ClientSettings & { cacheMiddleware: true };

  constructor(readonly settings: ClientSettings) {
    this.region = settings.region;
    this.clientConfig = { ...settings, cacheMiddleware: true };
    this.ecs = new ECSClient(this.clientConfig);
    this.ecsOnce = new ECSClient({ ...this.clientConfig, maxAttempts: 1 });
  }

  private ec2(): Promise<EC2Client> {
    this.ec2Client ??= import("./ec2Commands.ts").then((m) => new m.EC2Client(this.clientConfig));
    return this.ec2Client;
  }

  private logs(): Promise<CloudWatchLogsClient> {
    this.logsClient ??= import("./logsCommands.ts").then(
      (m) => new m.CloudWatchLogsClient(this.clientConfig),
    );
    return this.logsClient;
  }

  async describeTaskDefinition(taskDefinition: string) {
    try {
      const out = await this.ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition, include: ["TAGS"] }),
      );
      if (!out.taskDefinition) return null;
      return { taskDefinition: out.taskDefinition, tags: out.tags ?? [] };
    } catch (error) {
      if (errorName(error) === "ClientException") return null;
      throw error;
    }
  }

  /** Newest first; at most three pages, since other families may share the prefix. */
  async listTaskDefinitionArns(family: string, limit: number) {
    const arns: string[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < 3 && arns.length < limit; page++) {
      const out = await this.ecs.send(
        new ListTaskDefinitionsCommand({
          familyPrefix: family,
          status: "ACTIVE",
          sort: "DESC",
          maxResults: 100,
          nextToken,
        }),
      );
      for (const arn of out.taskDefinitionArns ?? []) if (familyOfArn(arn) === family) arns.push(arn);
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
    return arns.sort((a, b) => revisionOfArn(b) - revisionOfArn(a)).slice(0, limit);
  }

  async registerTaskDefinition(spec: TaskDefinitionSpec) {
    const out = await this.ecs.send(new RegisterTaskDefinitionCommand(spec));
    if (!out.taskDefinition) throw new Error("RegisterTaskDefinition returned no taskDefinition");
    return out.taskDefinition;
  }

  async deregisterTaskDefinition(taskDefinitionArn: string) {
    await this.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
  }

  async runTask(request: RunTaskRequest) {
    const out = await this.ecsOnce.send(new RunTaskCommand(request));
    return { tasks: out.tasks, failures: out.failures };
  }

  /**
   * RUNNING first, then STOPPED — one after the other. A task's desired status only goes from
   * RUNNING to STOPPED, so a task that existed before the first query is in one of the answers;
   * asked at once, the two could both miss a task being stopped in between (the soak saw a
   * resumed claim start a second task that way).
   */
  async listTasksStartedBy(cluster: string | undefined, startedBy: string) {
    const arns: string[] = [];
    for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
      const page = await this.ecs.send(
        new ListTasksCommand({ cluster, startedBy, desiredStatus, maxResults: 100 }),
      );
      for (const arn of page.taskArns ?? []) if (!arns.includes(arn)) arns.push(arn);
    }
    return arns;
  }

  async describeTasks(cluster: string, taskArns: string[]) {
    const out = await this.ecs.send(
      new DescribeTasksCommand({ cluster, tasks: taskArns, include: ["TAGS"] }),
    );
    return { tasks: out.tasks, failures: out.failures };
  }

  async stopTask(cluster: string, taskArn: string, reason: string) {
    await this.ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason }));
  }

  async findVpc(vpcId?: string) {
    const { DescribeVpcsCommand } = await import("./ec2Commands.ts");
    const ec2 = await this.ec2();
    try {
      const out = await ec2.send(
        new DescribeVpcsCommand(
          vpcId ? { VpcIds: [vpcId] } : { Filters: [{ Name: "isDefault", Values: ["true"] }] },
        ),
      );
      const found = out.Vpcs?.[0]?.VpcId;
      return found ? { vpcId: found } : null;
    } catch (error) {
      if (errorName(error) === "InvalidVpcID.NotFound") return null;
      throw error;
    }
  }

  async listSubnets(vpcId: string) {
    const { DescribeSubnetsCommand } = await import("./ec2Commands.ts");
    const ec2 = await this.ec2();
    const ids: string[] = [];
    let NextToken: string | undefined;
    do {
      const out = await ec2.send(
        new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }], NextToken }),
      );
      for (const s of out.Subnets ?? []) if (s.SubnetId) ids.push(s.SubnetId);
      NextToken = out.NextToken;
    } while (NextToken);
    return ids;
  }

  async tailLogEvents(group: string, stream: string, limit: number) {
    const { GetLogEventsCommand } = await import("./logsCommands.ts");
    const logs = await this.logs();
    try {
      const out = await logs.send(
        new GetLogEventsCommand({
          logGroupName: group,
          logStreamName: stream,
          limit,
          startFromHead: false,
        }),
      );
      return (out.events ?? [])
        .map((e) => ({ timestamp: e.timestamp ?? 0, message: e.message ?? "" }))
        .sort((a, b) => a.timestamp - b.timestamp);
    } catch (error) {
      if (errorName(error) === "ResourceNotFoundException") return [];
      throw error;
    }
  }
}

/**
 * One {@link SdkEcsApi} per distinct client settings, reused across invocations of a warm function.
 * Invalid credentials (assume_role_arn, half a key pair, no region) throw ValidationError/ConfigError.
 */
export function ecsApiFactory(baseConfig: AwsBaseConfig = {}): EcsApiFactory {
  const cache = new Map<string, SdkEcsApi>();
  return (credentials) => {
    const settings = clientSettings(credentials, baseConfig);
    const key = JSON.stringify([
      settings.region,
      settings.endpoint ?? null,
      settings.profile ?? null,
      settings.credentials?.accessKeyId ?? null,
      settings.credentials?.secretAccessKey ?? null,
      settings.credentials?.sessionToken ?? null,
    ]);
    let api = cache.get(key);
    if (!api) {
      api = new SdkEcsApi(settings);
      cache.set(key, api);
    }
    return api;
  };
}
