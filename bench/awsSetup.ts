/**
 * @module
 * AWS and Prefect set-up for `npm run bench:aws`, the same as the AWS peer tests do it
 * (test/peers/aws/awsPeers.ts and prefectEcs.ts; those import vitest's `inject`, so the few lines
 * are repeated here): on moto an ECS cluster, the default VPC's first subnet and its default
 * security group, the dispatch queue (visibility 370 s, DLQ after 5 receives, as serverless.yml
 * declares it); on Prefect two `ecs` pools made from the server's bundled default `ecs` template
 * with moto's one concession (container `memory: "{{ memory }}"`), and one deployment in each with
 * the same job variables (network configuration with `securityGroups` and `vpc_id`, moto quirks).
 */
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateClusterCommand, ECSClient, ListTaskDefinitionsCommand } from "@aws-sdk/client-ecs";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Deployment, JsonObject, WorkPool } from "../core/prefect/types.ts";
import type { PrefectAdmin } from "../test/peers/helpers/prefectAdmin.ts";

export const REGION = "us-east-1";
export const CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };

export interface MotoResources {
  cluster: string;
  vpcId: string;
  subnets: string[];
  securityGroup: string;
  queue: { url: string; arn: string };
}

export async function setupMoto(endpoint: string, prefix: string): Promise<MotoResources> {
  const config = { region: REGION, endpoint, credentials: CREDENTIALS };
  const ecs = new ECSClient(config);
  const sqs = new SQSClient(config);
  const ec2 = new EC2Client(config);
  const cluster = `${prefix}-cluster`;
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
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
  const createQueue = async (name: string, attributes: Record<string, string> = {}) => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: QueueUrl as string, AttributeNames: ["QueueArn"] }),
    );
    return { url: QueueUrl as string, arn: attrs.Attributes?.QueueArn as string };
  };
  const dlq = await createQueue(`${prefix}-dispatch-dlq`);
  const queue = await createQueue(`${prefix}-dispatch`, {
    VisibilityTimeout: "370",
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }),
  });
  for (const c of [ecs, sqs, ec2]) c.destroy();
  return { cluster, vpcId, subnets, securityGroup, queue };
}

/** Task-definition revisions registered in moto whose family starts with `prefix`. */
export async function taskDefinitionsIn(endpoint: string, prefix: string): Promise<string[]> {
  const ecs = new ECSClient({ region: REGION, endpoint, credentials: CREDENTIALS });
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: prefix, nextToken }));
    arns.push(...(out.taskDefinitionArns ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  ecs.destroy();
  return arns;
}

/** The bundled `ecs` default template, with container memory (moto quirk). */
export async function ecsTemplate(admin: PrefectAdmin): Promise<JsonObject> {
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

/** The deployments' job variables (identical for both sides). */
export function ecsJobVariables(m: MotoResources): JsonObject {
  return {
    image: "prefecthq/prefect:3-latest",
    cpu: 512,
    memory: 1024,
    cluster: m.cluster,
    vpc_id: m.vpcId,
    network_configuration: {
      subnets: m.subnets.slice(0, 1),
      securityGroups: [m.securityGroup],
      assignPublicIp: "DISABLED",
    },
    labels: { team: "data" },
    env: { GREETING: "hello" },
    command: "python -m prefect.engine",
  };
}

export async function ecsPoolWithDeployment(
  admin: PrefectAdmin,
  name: string,
  template: JsonObject,
  jobVariables: JsonObject,
): Promise<{ pool: WorkPool; deployment: Deployment }> {
  const pool = await admin.createWorkPool({ name, type: "ecs", base_job_template: template });
  const deployment = await admin.createDeployment({
    name: `${name}-deployment`,
    work_pool_name: pool.name,
    job_variables: jobVariables,
  });
  return { pool, deployment };
}
