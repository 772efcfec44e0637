/**
 * Prefect set-up for the AWS suites: an `ecs` pool made from the bundled default base job template
 * (GET /collections/views/aggregate-worker-metadata → prefect-aws/ecs) with one moto concession —
 * the container definition gets `memory: "{{ memory }}"` (moto's RunTask answers 500 for a
 * container without memory) — and deployments whose job variables target the moto cluster.
 */
import { inject } from "vitest";
import type { Deployment, JsonObject, WorkPool } from "../../../core/prefect/types.ts";
import { PrefectAdmin, uniqueName } from "../helpers/prefectAdmin.ts";
import type { AwsPeers } from "./awsPeers.ts";

export function admin(): PrefectAdmin {
  return new PrefectAdmin(inject("prefectApiUrl"));
}

/** The bundled `ecs` default template, with container memory (moto quirk). */
export async function ecsTemplate(a: PrefectAdmin): Promise<JsonObject> {
  const template = (await a.client.readDefaultBaseJobTemplate("ecs")) as JsonObject | null;
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

/**
 * Job variables for a deployment on the moto cluster. The network configuration names its security
 * group (moto answers 500 without one) and so needs `vpc_id` (as Prefect's ECS worker requires).
 */
export function ecsJobVariables(peers: AwsPeers, o: EcsDeploymentVars = {}): JsonObject {
  return {
    image: o.image ?? "prefecthq/prefect:3-latest",
    cpu: o.cpu ?? 512,
    memory: o.memory ?? 1024,
    cluster: peers.cluster,
    vpc_id: peers.vpcId,
    network_configuration: {
      subnets: peers.subnets.slice(0, 1),
      securityGroups: [peers.securityGroup],
      assignPublicIp: "DISABLED",
    },
    labels: o.labels ?? { team: "data", "pushpool-test": peers.prefix },
    env: o.env ?? { GREETING: "hello" },
    command: o.command ?? "python -m prefect.engine",
  };
}

export async function ecsPoolWithDeployment(
  peers: AwsPeers,
  vars: EcsDeploymentVars = {},
): Promise<{ pool: WorkPool; deployment: Deployment; admin: PrefectAdmin }> {
  const a = admin();
  const pool = await a.createWorkPool({
    name: uniqueName(`${peers.prefix}-pool`),
    type: "ecs",
    base_job_template: await ecsTemplate(a),
  });
  const deployment = await a.createDeployment({
    work_pool_name: pool.name,
    job_variables: ecsJobVariables(peers, vars),
  });
  return { pool, deployment, admin: a };
}
