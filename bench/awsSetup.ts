/**
 * @module
 * AWS and Prefect set-up for `npm run bench:aws`, from the same shared pieces as the AWS peer tests
 * and the soak (test/peers/aws/motoWorld.ts): on moto an ECS cluster, the default VPC's first subnet
 * and its default security group, the dispatch queue (visibility 370 s, DLQ after 5 receives, as
 * serverless.yml declares it); on Prefect two `ecs` pools made from the server's bundled default
 * `ecs` template (with moto's concessions), and one deployment in each with the same job variables.
 */
import { EC2Client } from "@aws-sdk/client-ec2";
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
} from "@aws-sdk/client-ecs";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Deployment, JsonObject, WorkPool } from "../core/prefect/types.ts";
import {
  CREDENTIALS,
  defaultNetwork,
  ecsTemplate,
  ecsJobVariables as jobVariablesOn,
  queueWithDlq,
  REGION,
} from "../test/peers/aws/motoWorld.ts";
import type { PrefectAdmin } from "../test/peers/helpers/prefectAdmin.ts";

export { CREDENTIALS, ecsTemplate, REGION };

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
  const { vpcId, subnets, securityGroup } = await defaultNetwork(ec2);
  const { queue } = await queueWithDlq(sqs, `${prefix}-dispatch`, {
    visibilityTimeout: 370,
    maxReceiveCount: 5,
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

/**
 * ECS tasks per flow run in `cluster` on moto (running or stopped), by the PREFECT__FLOW_RUN_ID
 * container override both sides set: what is really there, whatever the proxies saw.
 */
export async function tasksPerRun(endpoint: string, cluster: string): Promise<Map<string, number>> {
  const ecs = new ECSClient({ region: REGION, endpoint, credentials: CREDENTIALS });
  const arns = new Set<string>();
  for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
    let nextToken: string | undefined;
    do {
      const out = await ecs.send(new ListTasksCommand({ cluster, desiredStatus, nextToken }));
      for (const arn of out.taskArns ?? []) arns.add(arn);
      nextToken = out.nextToken;
    } while (nextToken);
  }
  const counts = new Map<string, number>();
  const all = [...arns];
  for (let i = 0; i < all.length; i += 100) {
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: all.slice(i, i + 100) }));
    for (const task of out.tasks ?? []) {
      const id = task.overrides?.containerOverrides
        ?.flatMap((c) => c.environment ?? [])
        .find((e) => e.name === "PREFECT__FLOW_RUN_ID")?.value;
      if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  ecs.destroy();
  return counts;
}

/** The deployments' job variables (identical for both sides). */
export function ecsJobVariables(m: MotoResources): JsonObject {
  return jobVariablesOn(m);
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
