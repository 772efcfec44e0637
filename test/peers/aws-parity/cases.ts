/**
 * The parity cases: deployment (and flow-run) job variables for an `ecs` pool, each run with two
 * templates — the Prefect server's bundled default (`/collections/views/aggregate-worker-metadata`,
 * what `prefect work-pool create --type ecs` gives without prefect-aws installed) and prefect-aws
 * 0.7.12's `ECSWorker.get_default_base_job_template()` (which also maps `execution_role_arn` and the
 * secret ARNs into the job configuration). Both get a container `memoryReservation` (moto quirk).
 *
 * Moto fixtures (never reset, unique names): a cluster with two registered container instances
 * (EC2 launch type), the account's `default` cluster (created only when missing), the default
 * VPC's subnets and security group, and a pre-registered task definition for `task_definition_arn`.
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
import { type CaseInput, MEMORY_RESERVATION } from "./harness.ts";

export interface Fixtures {
  peers: AwsPeers;
  linkedArn: string;
  serverTemplate: JsonObject;
}

export const TEMPLATES = ["server", "prefect-aws"] as const;
export type TemplateName = (typeof TEMPLATES)[number];

export const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/flows:2026-08";
const ACCOUNT = "123456789012";
const API_KEY_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prefect-api-key-AbCdEf`;
const AUTH_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prefect-auth-string-GhIjKl`;
const EXEC_ROLE = `arn:aws:iam::${ACCOUNT}:role/prefect-ecs-execution`;

export interface ParityCase {
  name: string;
  /** Deployment job variables. */
  vars(fx: Fixtures, template: TemplateName): JsonObject;
  /** Flow-run job variables (merged over the deployment's, env key by key). */
  runVars?: JsonObject;
  /** No image anywhere: each side's default image (an intended difference). */
  defaultImage?: boolean;
  /** `family` is given: the families must be equal. */
  explicitFamily?: boolean;
  /** A linked task definition: neither side registers one. */
  linked?: boolean;
  /** `network_configuration` is given (passed verbatim: subnet order must be equal too). */
  customNetwork?: boolean;
  /** `auto_deregister_task_definition`: Prefect's worker tags the task for deregistration. */
  deregister?: boolean;
  /** Both sides must refuse the configuration before any AWS call, with this message. */
  fails?: RegExp;
}

const base = (fx: Fixtures): JsonObject => ({ image: IMAGE, cluster: fx.peers.cluster });

export const CASES: ParityCase[] = [
  // Nothing but an image: default cluster, FARGATE, default VPC, every default.
  { name: "defaults (image only)", vars: () => ({ image: IMAGE }) },
  {
    name: "no image: each side's default image",
    vars: (fx) => ({ cluster: fx.peers.cluster }),
    defaultImage: true,
  },
  {
    name: "Fargate cpu/memory, cluster given as ARN",
    vars: (fx) => ({ image: IMAGE, cluster: fx.peers.clusterArn, cpu: 512, memory: 1024 }),
  },
  {
    name: "EC2 launch type with cpu/memory",
    vars: (fx) => ({ ...base(fx), launch_type: "EC2", cpu: 256, memory: 512 }),
  },
  { name: "EC2 launch type, default cpu/memory", vars: (fx) => ({ ...base(fx), launch_type: "EC2" }) },
  { name: "FARGATE_SPOT", vars: (fx) => ({ ...base(fx), launch_type: "FARGATE_SPOT" }) },
  {
    name: "capacity_provider_strategy",
    vars: (fx) => ({
      ...base(fx),
      capacity_provider_strategy: [
        { capacityProvider: "FARGATE", weight: 2, base: 1 },
        { capacityProvider: "FARGATE_SPOT", weight: 1 },
      ] as JsonObject[],
    }),
  },
  {
    name: "env and command overrides, env vars set to null",
    vars: (fx) => ({
      ...base(fx),
      env: { GREETING: "hello world", PREFECT_LOGGING_LEVEL: "DEBUG", DROP_ME: "x" },
      command: "python -m flows.etl --date '2026-08-21' --dry-run",
    }),
    runVars: { env: { DROP_ME: null, PREFECT_API_KEY: null, FROM_RUN: "1" } },
  },
  {
    name: "labels that need slugifying",
    vars: (fx) => ({
      ...base(fx),
      labels: { "team name": "Data & ML", "Hello, World": "a/b c", "owner@acme": "ünïcødé ✓", "x:y=z": "" },
    }),
  },
  {
    name: "task_role_arn and execution_role_arn",
    vars: (fx) => ({
      ...base(fx),
      task_role_arn: `arn:aws:iam::${ACCOUNT}:role/flow-task`,
      execution_role_arn: EXEC_ROLE,
    }),
  },
  {
    name: "vpc_id + network_configuration (subnets, securityGroups)",
    vars: (fx) => ({
      ...base(fx),
      vpc_id: fx.peers.vpcId,
      network_configuration: {
        subnets: fx.peers.subnets.slice(0, 2),
        securityGroups: [fx.peers.securityGroup],
        assignPublicIp: "DISABLED",
      },
    }),
    customNetwork: true,
  },
  { name: "vpc_id only: discovered subnets", vars: (fx) => ({ ...base(fx), vpc_id: fx.peers.vpcId }) },
  {
    name: "CloudWatch logs with options and prefix",
    vars: (fx) => ({
      ...base(fx),
      execution_role_arn: EXEC_ROLE,
      configure_cloudwatch_logs: true,
      cloudwatch_logs_options: { "awslogs-group": "flows", mode: "non-blocking" },
      cloudwatch_logs_prefix: "etl",
    }),
  },
  {
    name: "CloudWatch logs, default prefix",
    vars: (fx) => ({ ...base(fx), execution_role_arn: EXEC_ROLE, configure_cloudwatch_logs: true }),
  },
  {
    name: "task_definition_arn (pre-registered)",
    vars: (fx) => ({ task_definition_arn: fx.linkedArn, cluster: fx.peers.cluster, env: { A: "1" } }),
    linked: true,
  },
  {
    name: "family given",
    vars: (fx, t) => ({ ...base(fx), family: `${fx.peers.prefix}-${t}-family` }),
    explicitFamily: true,
  },
  {
    name: "prefect_api_key_secret_arn and prefect_api_auth_string_secret_arn",
    vars: (fx) => ({
      ...base(fx),
      execution_role_arn: EXEC_ROLE,
      prefect_api_key_secret_arn: API_KEY_SECRET,
      prefect_api_auth_string_secret_arn: AUTH_SECRET,
    }),
  },
  {
    name: "auto_deregister_task_definition",
    vars: (fx) => ({ ...base(fx), auto_deregister_task_definition: true }),
    deregister: true,
  },
  { name: "custom container_name", vars: (fx) => ({ ...base(fx), container_name: "app" }) },
  {
    name: "network_configuration without vpc_id is refused",
    vars: (fx) => ({ ...base(fx), network_configuration: { subnets: fx.peers.subnets.slice(0, 1) } }),
    fails: /You must provide a `vpc_id` to enable custom `network_configuration`/,
  },
  {
    name: "cloudwatch_logs_options without configure_cloudwatch_logs is refused",
    vars: (fx) => ({ ...base(fx), cloudwatch_logs_options: { mode: "non-blocking" } }),
    fails: /`configure_cloudwatch_log` must be enabled to use `cloudwatch_logs_options`/,
  },
];

/** Moto fixtures and the server's default `ecs` template. */
export async function setupFixtures(): Promise<Fixtures> {
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
  return {
    peers,
    linkedArn: linked.taskDefinition?.taskDefinitionArn as string,
    serverTemplate: serverTemplate as unknown as JsonObject,
  };
}

const flow: Flow = { id: randomUUID(), name: "etl-flow", tags: [], labels: {} };

/** The pool, deployment and flow run of one case under one template (fresh ids: no worker cache hits). */
export function caseInput(fx: Fixtures, c: ParityCase, template: TemplateName, index: number): CaseInput {
  const poolName = `${fx.peers.prefix}-${template === "server" ? "s" : "w"}${index}`;
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
    // null → the driver substitutes prefect-aws's own template and reports it back (meta.workerTemplate).
    pool: {
      id: randomUUID(),
      name: poolName,
      type: "ecs",
      base_job_template: template === "server" ? fx.serverTemplate : (null as never),
      is_paused: false,
      concurrency_limit: null,
      status: "READY",
    },
    deployment,
    flowRun,
    flow,
  };
}
