/**
 * Per-file AWS set-up on the shared moto server (no reset: every name is unique to the file): an
 * ECS cluster, the default VPC's subnets and security group (moto needs `securityGroups` in
 * awsvpcConfiguration), a dispatch queue with a DLQ (RedrivePolicy), an events queue, and the
 * process environment the SDK clients (ours and the handlers') read.
 */
import { randomUUID } from "node:crypto";
import { EC2Client } from "@aws-sdk/client-ec2";
import { CreateClusterCommand, ECSClient } from "@aws-sdk/client-ecs";
import { PurgeQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { inject } from "vitest";
import { createQueue, defaultNetwork, type QueueRef, REGION } from "./motoWorld.ts";

export { type QueueRef, REGION };

export interface AwsPeers {
  endpoint: string;
  prefix: string;
  cluster: string;
  clusterArn: string;
  vpcId: string;
  subnets: string[];
  securityGroup: string;
  dispatch: QueueRef;
  dlq: QueueRef;
  events: QueueRef;
  ecs: ECSClient;
  sqs: SQSClient;
  ec2: EC2Client;
}

/** Points the AWS SDK (default chain) at moto for this test file's process. */
export function useMotoEnv(): string {
  const endpoint = inject("motoEndpoint");
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_REGION = REGION;
  process.env.AWS_ACCESS_KEY_ID = "testing";
  process.env.AWS_SECRET_ACCESS_KEY = "testing";
  delete process.env.AWS_PROFILE;
  return endpoint;
}

export async function setupAwsPeers(label: string): Promise<AwsPeers> {
  const endpoint = useMotoEnv();
  const prefix = `pp-${label}-${randomUUID().slice(0, 6)}`;
  const config = { region: REGION, endpoint };
  const ecs = new ECSClient(config);
  const sqs = new SQSClient(config);
  const ec2 = new EC2Client(config);
  const cluster = `${prefix}-cluster`;
  const created = await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const { vpcId, subnets, securityGroup } = await defaultNetwork(ec2);
  const dlq = await createQueue(sqs, `${prefix}-dlq`);
  const dispatch = await createQueue(sqs, `${prefix}-dispatch`, {
    VisibilityTimeout: "30",
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 }),
  });
  const events = await createQueue(sqs, `${prefix}-events`);
  return {
    endpoint,
    prefix,
    cluster,
    clusterArn: created.cluster?.clusterArn as string,
    vpcId,
    subnets,
    securityGroup,
    dispatch,
    dlq,
    events,
    ecs,
    sqs,
    ec2,
  };
}

export async function purge(sqs: SQSClient, queue: QueueRef): Promise<void> {
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queue.url }));
}
