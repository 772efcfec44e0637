/**
 * The soak's world: AWS resources on moto (cluster, default-VPC networking, a dispatch queue and an
 * events queue, each with a DLQ through RedrivePolicy, Secrets Manager entries for the Prefect
 * credentials) and Prefect resources (an `ecs` pool from the bundled template, deployments on the
 * moto cluster). Every name is unique, so the soak can share servers with other suites.
 */
import { randomUUID } from "node:crypto";
import { EC2Client } from "@aws-sdk/client-ec2";
import { CreateClusterCommand, ECSClient } from "@aws-sdk/client-ecs";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Deployment, JsonObject, WorkPool } from "../../core/prefect/types.ts";
import {
  defaultNetwork,
  ecsTemplate,
  type QueueRef,
  queueWithDlq,
  REGION,
  CREDENTIALS as TEST_CREDENTIALS,
} from "../peers/aws/motoWorld.ts";
import { PrefectAdmin } from "../peers/helpers/prefectAdmin.ts";

export { type QueueRef, REGION, TEST_CREDENTIALS };

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

export async function createWorld(o: WorldOptions): Promise<World> {
  const config = { region: REGION, endpoint: o.motoEndpoint, credentials: TEST_CREDENTIALS };
  const ecs = new ECSClient(config);
  const sqs = new SQSClient(config);
  const ec2 = new EC2Client(config);
  const prefix = `pp-soak-${randomUUID().slice(0, 6)}`;
  const cluster = `${prefix}-cluster`;
  const created = await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const { vpcId, subnets, securityGroup } = await defaultNetwork(ec2);
  const queues = { visibilityTimeout: o.visibilityTimeout, maxReceiveCount: o.maxReceiveCount };
  const { queue: dispatch, dlq: dispatchDlq } = await queueWithDlq(sqs, `${prefix}-dispatch`, queues);
  const { queue: events, dlq: eventsDlq } = await queueWithDlq(sqs, `${prefix}-events`, queues);
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
