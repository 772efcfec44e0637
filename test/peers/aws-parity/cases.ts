/**
 * The parity cases before issue #10: deployment (and flow-run) job variables for an `ecs` pool,
 * each run with both templates (fixtures.ts). The cases added for issue #10 — Prefect's refusals,
 * the cluster in the pid, `match_latest_revision_in_family`, customised templates — are in
 * edgeCases.ts.
 */
import type { JsonObject } from "../../../core/prefect/types.ts";
import {
  ACCOUNT,
  API_KEY_SECRET,
  AUTH_SECRET,
  EXEC_ROLE,
  type Fixtures,
  IMAGE,
  type TemplateName,
} from "./fixtures.ts";

/** A base job template (`job_configuration`, `variables`) to customise in place. */
export interface TemplateJson {
  job_configuration: {
    task_definition: { containerDefinitions: JsonObject[] } & JsonObject;
    task_run_request: { overrides: { containerOverrides: JsonObject[] } } & JsonObject;
  } & JsonObject;
  variables: { properties: Record<string, JsonObject> };
}

export interface ParityCase {
  name: string;
  /** Deployment job variables. */
  vars(fx: Fixtures, template: TemplateName): JsonObject;
  /** Flow-run job variables (merged over the deployment's, env key by key). */
  runVars?: JsonObject;
  /** A customised template: edits a copy of each base template. */
  template?(t: TemplateJson, fx: Fixtures): void;
  /** Only under these templates (default: both). */
  templates?: readonly TemplateName[];
  /** No image anywhere: each side's default image (a declared difference). */
  defaultImage?: boolean;
  /** `family` is given: the families must be equal. */
  explicitFamily?: boolean;
  /** The given family has characters ECS refuses: pushpool sanitises it (a declared difference). */
  sanitizedFamily?: boolean;
  /** A linked task definition: neither side registers one. */
  linked?: boolean;
  /** Both sides reuse the fixture's hand-registered revision (`match_latest_revision_in_family`). */
  reuses?: boolean;
  /**
   * Prefect's worker (which runs first) registers; pushpool then finds that revision as the
   * family's latest, equal by content, and reuses it — as Prefect's worker would if it ran second.
   */
  secondReusesFirst?: boolean;
  /** `network_configuration` is given (passed verbatim: subnet order must be equal too). */
  customNetwork?: boolean;
  /** `auto_deregister_task_definition`: Prefect's worker tags the task for deregistration. */
  deregister?: boolean;
  /** The plain PREFECT_API_KEY in `env` while the key travels as a secret (Prefect leaks it). */
  apiKeyInEnv?: string;
  /** The pool's `cluster` default is "": Prefect sends it (and moto refuses), pushpool omits it. */
  emptyCluster?: boolean;
  /** Prefect's run fails (after its requests were made) with this message; pushpool's runs. */
  prefectFails?: RegExp;
  /** The template's cluster differs from `cluster`: Prefect's pid names the wrong one. */
  pidClusterDiffers?: boolean;
  /** Both sides must refuse the configuration, with this message (before any AWS call, unless…). */
  fails?: RegExp;
  /** …Prefect's boto3 refuses this request (its parameter validation), the calls before it made. */
  refusedBy?: "RegisterTaskDefinition" | "RunTask";
}

export const base = (fx: Fixtures): JsonObject => ({ image: IMAGE, cluster: fx.peers.cluster });

export const BASE_CASES: ParityCase[] = [
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
