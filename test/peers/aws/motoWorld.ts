/**
 * @module
 * The AWS and Prefect set-up every moto-backed harness shares — the AWS peer tests
 * (./awsPeers.ts, ./prefectEcs.ts), `npm run bench:aws` (bench/awsSetup.ts) and the soak
 * (test/soak/world.ts). Free of vitest (`inject`), so the bench and the soak can import it.
 *
 * moto's quirks live here, once: RunTask answers 500 for a container without memory (the template
 * gets `memory: "{{ memory }}"`) and for an awsvpc network configuration without a security group
 * (the job variables name the default VPC's default group, and so need `vpc_id`, as Prefect's ECS
 * worker requires).
 */
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { JsonObject } from "../../../core/prefect/types.ts";
import type { PrefectAdmin } from "../helpers/prefectAdmin.ts";

export const REGION = "us-east-1";
export const CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };

export interface QueueRef {
  url: string;
  arn: string;
}

export interface DefaultNetwork {
  vpcId: string;
  subnets: string[];
  securityGroup: string;
}

export async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string> = {},
): Promise<QueueRef> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = QueueUrl as string;
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return { url, arn: out.Attributes?.QueueArn as string };
}

/** A queue and its dead-letter queue (`<name>-dlq`), redriven after `maxReceiveCount` receives. */
export async function queueWithDlq(
  sqs: SQSClient,
  name: string,
  o: { visibilityTimeout: number; maxReceiveCount: number },
): Promise<{ queue: QueueRef; dlq: QueueRef }> {
  const dlq = await createQueue(sqs, `${name}-dlq`);
  const queue = await createQueue(sqs, name, {
    VisibilityTimeout: String(o.visibilityTimeout),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: o.maxReceiveCount }),
  });
  return { queue, dlq };
}

/** moto's default VPC: its default-for-AZ subnets and its `default` security group. */
export async function defaultNetwork(ec2: EC2Client): Promise<DefaultNetwork> {
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
  return { vpcId, subnets, securityGroup: groups.SecurityGroups?.[0]?.GroupId as string };
}

/** The server's bundled `ecs` default base job template, with container memory (moto quirk). */
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

export interface EcsDeploymentVars {
  image?: string;
  cpu?: number;
  memory?: number;
  env?: Record<string, string>;
  labels?: Record<string, string>;
  command?: string;
}

/** Job variables for a deployment on a moto cluster, in its default VPC's first subnet. */
export function ecsJobVariables(
  target: DefaultNetwork & { cluster: string },
  o: EcsDeploymentVars = {},
): JsonObject {
  return {
    image: o.image ?? "prefecthq/prefect:3-latest",
    cpu: o.cpu ?? 512,
    memory: o.memory ?? 1024,
    cluster: target.cluster,
    vpc_id: target.vpcId,
    network_configuration: {
      subnets: target.subnets.slice(0, 1),
      securityGroups: [target.securityGroup],
      assignPublicIp: "DISABLED",
    },
    labels: o.labels ?? { team: "data" },
    env: o.env ?? { GREETING: "hello" },
    command: o.command ?? "python -m prefect.engine",
  };
}
