/**
 * The soak's world: AWS resources on moto (cluster, default-VPC networking, a dispatch queue and an
 * events queue, each with a DLQ through RedrivePolicy, Secrets Manager entries for the Prefect
 * credentials) and Prefect resources (an `ecs` pool from the bundled template, deployments on the
 * moto cluster). Every name is unique, so the soak can share servers with other suites.
 */
import { randomUUID } from "node:crypto";
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateClusterCommand, ECSClient } from "@aws-sdk/client-ecs";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Deployment, JsonObject, WorkPool } from "../../core/prefect/types.ts";
import { PrefectAdmin } from "../peers/helpers/prefectAdmin.ts";

export const REGION = "us-east-1";
export const TEST_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };

export interface QueueRef {
  url: string;
  arn: string;
}

export interface World {
  prefix: string;
  cluster: string;
  clusterArn: string;
  vpcId: string;
  subnets: string[];
  securityGroup: string;
  dispatch: QueueRef;
  dispatchDlq: QueueRef;
  events: QueueRef;
  eventsDlq: QueueRef;
  apiKeySecretArn: string;
  authStringSecretArn: string;
  /** Unproxied clients (the soak's own view: set-up, the flow "container", the census). */
  ecs: ECSClient;
  sqs: SQSClient;
  admin: PrefectAdmin;
  pool: WorkPool;
  deployments: Deployment[];
}

export interface WorldOptions {
  motoEndpoint: string;
  prefectApiUrl: string;
  prefectAuthString?: string;
  /** Values stored in Secrets Manager (the functions read them at cold start). */
  secrets: { apiKey: string; authString: string };
  deployments: number;
  visibilityTimeout: number;
  maxReceiveCount: number;
}

/** Points the SDK default chain (Secrets Manager reads at cold start, SQS) at moto, unproxied. */
export function useMoto(endpoint: string): void {
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_REGION = REGION;
  process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_PROFILE;
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string> = {}) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = QueueUrl as string;
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return { url, arn: out.Attributes?.QueueArn as string };
}

async function queueWithDlq(sqs: SQSClient, name: string, o: WorldOptions) {
  const dlq = await createQueue(sqs, `${name}-dlq`);
  const queue = await createQueue(sqs, name, {
    VisibilityTimeout: String(o.visibilityTimeout),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: o.maxReceiveCount }),
  });
  return [queue, dlq] as const;
}

/** The bundled `ecs` template with container memory (moto's RunTask answers 500 without it). */
async function ecsTemplate(admin: PrefectAdmin): Promise<JsonObject> {
  const template = (await admin.client.readDefaultBaseJobTemplate("ecs")) as JsonObject | null;
  if (!template) throw new Error("the Prefect server has no default template for 'ecs' pools");
  const copy = structuredClone(template) as {
    job_configuration: { task_definition: { containerDefinitions: JsonObject[] } };
  };
  const container = copy.job_configuration.task_definition.containerDefinitions[0];
  if (!container) throw new Error("the ecs template has no container definition");
  container.memory = "{{ memory }}";
  return copy as unknown as JsonObject;
}

export async function createWorld(o: WorldOptions): Promise<World> {
  const config = { region: REGION, endpoint: o.motoEndpoint, credentials: TEST_CREDENTIALS };
  const ecs = new ECSClient(config);
  const sqs = new SQSClient(config);
  const ec2 = new EC2Client(config);
  const prefix = `pp-soak-${randomUUID().slice(0, 6)}`;
  const cluster = `${prefix}-cluster`;
  const created = await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const subnetsOut = await ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: "default-for-az", Values: ["true"] }] }),
  );
  const subnets = (subnetsOut.Subnets ?? []).map((s) => s.SubnetId as string);
  const vpcId = subnetsOut.Subnets?.[0]?.VpcId as string;
  const groups = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: "vpc-id", Values: [vpcId] },
        { Name: "group-name", Values: ["default"] },
      ],
    }),
  );
  const securityGroup = groups.SecurityGroups?.[0]?.GroupId as string;
  const [dispatch, dispatchDlq] = await queueWithDlq(sqs, `${prefix}-dispatch`, o);
  const [events, eventsDlq] = await queueWithDlq(sqs, `${prefix}-events`, o);
  const sm = new SecretsManagerClient(config);
  const secret = async (name: string, value: string) =>
    (await sm.send(new CreateSecretCommand({ Name: `${prefix}/${name}`, SecretString: value })))
      .ARN as string;
  const apiKeySecretArn = await secret("api-key", o.secrets.apiKey);
  const authStringSecretArn = await secret("auth-string", o.secrets.authString);

  const admin = new PrefectAdmin({ apiUrl: o.prefectApiUrl, authString: o.prefectAuthString });
  const pool = await admin.createWorkPool({
    name: `${prefix}-pool`,
    type: "ecs",
    base_job_template: await ecsTemplate(admin),
  });
  const jobVariables: JsonObject = {
    image: "prefecthq/prefect:3-latest",
    cpu: 256,
    memory: 512,
    cluster,
    vpc_id: vpcId,
    network_configuration: {
      subnets: subnets.slice(0, 1),
      securityGroups: [securityGroup],
      assignPublicIp: "DISABLED",
    },
    env: { SOAK: prefix },
  };
  const deployments: Deployment[] = [];
  for (let i = 0; i < o.deployments; i++)
    deployments.push(
      await admin.createDeployment({
        name: `${prefix}-d${i}`,
        flow_name: "soak",
        work_pool_name: pool.name,
        job_variables: jobVariables,
      }),
    );
  return {
    prefix,
    cluster,
    clusterArn: created.cluster?.clusterArn as string,
    vpcId,
    subnets,
    securityGroup,
    dispatch,
    dispatchDlq,
    events,
    eventsDlq,
    apiKeySecretArn,
    authStringSecretArn,
    ecs,
    sqs,
    admin,
    pool,
    deployments,
  };
}
