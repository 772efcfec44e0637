/**
 * The parity suite's moto fixtures and the inputs of one case under one template.
 *
 * Moto fixtures (never reset, unique names): a cluster with two registered container instances
 * (EC2 launch type), the account's `default` cluster (created only when missing), the default
 * VPC's subnets and security group, a pre-registered task definition for `task_definition_arn`,
 * and per template two hand-registered revisions for `match_latest_revision_in_family`: one whose
 * content equals what both sides build (family `<prefix>-<template>-match`), one that differs
 * (family `<prefix>-<template>-differs`). The templates: the Prefect server's bundled `ecs` default
 * and prefect-aws's own (from the driver), both with a container `memoryReservation` (moto quirk).
 */
import { randomUUID } from "node:crypto";
import { DescribeImagesCommand, RunInstancesCommand } from "@aws-sdk/client-ec2";
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
} from "@aws-sdk/client-ecs";
import type { Deployment, Flow, FlowRun, JsonObject } from "../../../core/prefect/types.ts";
import { type AwsPeers, setupAwsPeers } from "../aws/awsPeers.ts";
import { admin } from "../aws/prefectEcs.ts";
import type { ParityCase } from "./cases.ts";
import { type CaseInput, MEMORY_RESERVATION, workerDefaultTemplate } from "./harness.ts";

export const TEMPLATES = ["server", "prefect-aws"] as const;
export type TemplateName = (typeof TEMPLATES)[number];

export const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/flows:2026-08";
export const ACCOUNT = "123456789012";
export const API_KEY_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prefect-api-key-AbCdEf`;
export const AUTH_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prefect-auth-string-GhIjKl`;
export const EXEC_ROLE = `arn:aws:iam::${ACCOUNT}:role/prefect-ecs-execution`;

export interface Fixtures {
  peers: AwsPeers;
  linkedArn: string;
  templates: Record<TemplateName, JsonObject>;
  /** The hand-registered revision equal to what `image` + cluster + family build, per template. */
  reusable: Record<TemplateName, string>;
}

export const matchFamily = (fx: Fixtures, t: TemplateName) => `${fx.peers.prefix}-${t}-match`;
export const differsFamily = (fx: Fixtures, t: TemplateName) => `${fx.peers.prefix}-${t}-differs`;

/** What both sides build for `{image: IMAGE, cluster, family}` (Fargate defaults), registered by hand. */
function handMade(family: string, image: string) {
  return new RegisterTaskDefinitionCommand({
    family,
    containerDefinitions: [{ name: "prefect", image, memoryReservation: MEMORY_RESERVATION }],
    cpu: "1024",
    memory: "2048",
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
  });
}

export async function setupFixtures(motoEndpoint: string): Promise<Fixtures> {
  const peers = await setupAwsPeers("parity");
  const clusters = await peers.ecs.send(new DescribeClustersCommand({ clusters: ["default"] }));
  if (!clusters.clusters?.some((c) => c.status === "ACTIVE"))
    await peers.ecs.send(new CreateClusterCommand({ clusterName: "default" }));
  const images = await peers.ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], MaxResults: 5 }));
  const instances = await peers.ec2.send(
    new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId, MinCount: 2, MaxCount: 2 }),
  );
  for (const instance of instances.Instances ?? [])
    await peers.ecs.send(
      new RegisterContainerInstanceCommand({
        cluster: peers.cluster,
        instanceIdentityDocument: JSON.stringify({ instanceId: instance.InstanceId }),
      }),
    );
  const linked = await peers.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${peers.prefix}-linked`,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "prefect", image: IMAGE, memory: 512 }],
    }),
  );
  const serverTemplate = structuredClone(
    (await admin().client.readDefaultBaseJobTemplate("ecs")) as JsonObject | null,
  ) as { job_configuration: { task_definition: { containerDefinitions: JsonObject[] } } } | null;
  const container = serverTemplate?.job_configuration.task_definition.containerDefinitions[0];
  if (!serverTemplate || !container) throw new Error("the Prefect server has no default 'ecs' template");
  container.memoryReservation = MEMORY_RESERVATION;
  const fx: Fixtures = {
    peers,
    linkedArn: linked.taskDefinition?.taskDefinitionArn as string,
    templates: {
      server: serverTemplate as unknown as JsonObject,
      "prefect-aws": workerDefaultTemplate(motoEndpoint),
    },
    reusable: { server: "", "prefect-aws": "" },
  };
  for (const t of TEMPLATES) {
    const made = await peers.ecs.send(handMade(matchFamily(fx, t), IMAGE));
    fx.reusable[t] = made.taskDefinition?.taskDefinitionArn as string;
    await peers.ecs.send(handMade(differsFamily(fx, t), `${IMAGE}-other`));
  }
  return fx;
}

const flow: Flow = { id: randomUUID(), name: "etl-flow", tags: [], labels: {} };

/** The pool, deployment and flow run of one case under one template (fresh ids: no worker cache hits). */
export function caseInput(fx: Fixtures, c: ParityCase, template: TemplateName, index: number): CaseInput {
  const poolName = `${fx.peers.prefix}-${template === "server" ? "s" : "w"}${index}`;
  const baseJobTemplate = structuredClone(fx.templates[template]);
  c.template?.(baseJobTemplate as never, fx);
  const deployment: Deployment = {
    id: randomUUID(),
    name: "nightly",
    flow_id: flow.id,
    updated: "2026-08-21T12:00:00.123456Z",
    version: "1",
    parameters: {},
    job_variables: c.vars(fx, template),
    work_pool_name: poolName,
    work_queue_name: "default",
    tags: [],
  };
  const flowRun: FlowRun = {
    id: randomUUID(),
    name: "dancing-dolphin",
    flow_id: flow.id,
    deployment_id: deployment.id,
    work_pool_name: poolName,
    work_queue_name: "default",
    state_type: "SCHEDULED",
    state_name: "Scheduled",
    state: null,
    parameters: {},
    job_variables: c.runVars ?? {},
    tags: [],
    labels: {},
    infrastructure_pid: null,
    expected_start_time: null,
    next_scheduled_start_time: null,
    start_time: null,
    empirical_policy: {},
  };
  return {
    label: `${template}: ${c.name}`,
    pool: {
      id: randomUUID(),
      name: poolName,
      type: "ecs",
      base_job_template: baseJobTemplate,
      is_paused: false,
      concurrency_limit: null,
      status: "READY",
    },
    deployment,
    flowRun,
    flow,
  };
}
