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
import { type EcsDeploymentVars, ecsTemplate, ecsJobVariables as jobVariablesOn } from "./motoWorld.ts";

export { type EcsDeploymentVars, ecsTemplate };

export function admin(): PrefectAdmin {
  return new PrefectAdmin(inject("prefectApiUrl"));
}

/** Job variables for a deployment on this file's moto cluster (labels name the file's prefix). */
export function ecsJobVariables(peers: AwsPeers, o: EcsDeploymentVars = {}): JsonObject {
  return jobVariablesOn(peers, { ...o, labels: o.labels ?? { team: "data", "pushpool-test": peers.prefix } });
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
