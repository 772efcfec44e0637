/**
 * Builds `vertex-ai` job configurations the way dispatch does: prefect-gcp's own default base job
 * template (test/fixtures/gcp, from `VertexAIWorker.get_default_base_job_template()`) rendered
 * with job variables, then prepared for a flow run.
 */
import { fromTemplateAndValues } from "../../../core/job/fromTemplate.ts";
import { prepareForFlowRun } from "../../../core/job/prepare.ts";
import type { JobConfiguration } from "../../../core/job/types.ts";
import type { BackendContext } from "../../../core/ports/backend.ts";
import type { BaseJobTemplate, Deployment, FlowRun, JsonObject } from "../../../core/prefect/types.ts";
import template from "../../fixtures/gcp/vertex-ai-base-job-template.json" with { type: "json" };
import { FLOW, makeRun } from "../ecs/render.ts";
import { fakeTemplateApi } from "../template/fakes.ts";

export const vertexTemplate = template as unknown as BaseJobTemplate;

/** Variables every Vertex pool needs (the template's required ones) plus a run-as account. */
export const VERTEX_VALUES: JsonObject = {
  region: "us-central1",
  image: "us-docker.pkg.dev/my-project/flows/etl:1",
  service_account_name: "flows@my-project.iam.gserviceaccount.com",
};

export interface RenderOptions {
  template?: BaseJobTemplate;
  run?: FlowRun;
  poolName?: string;
}

/** Renders the worker's template with `values` for a fresh run: the configuration and backend context. */
export async function renderVertex(
  values: JsonObject = VERTEX_VALUES,
  options: RenderOptions = {},
): Promise<{ config: JobConfiguration; ctx: BackendContext; run: FlowRun }> {
  const run = options.run ?? makeRun();
  const poolName = options.poolName ?? "my-vertex-pool";
  const deployment = run.deployment_id
    ? ({
        id: run.deployment_id,
        name: "nightly",
        flow_id: FLOW.id,
        updated: "2026-08-21T12:00:00Z",
      } as Deployment)
    : null;
  const templated = await fromTemplateAndValues(options.template ?? vertexTemplate, values, {
    api: fakeTemplateApi(),
  });
  const config = prepareForFlowRun(templated, {
    flowRun: run,
    deployment,
    flow: FLOW,
    pool: { id: "p0000000-0000-4000-8000-000000000000", name: poolName, type: "vertex-ai" },
    workerName: "pushpool",
    prefectVersion: "0.1.0",
    baseEnv: { PREFECT_API_URL: "https://prefect.example/api", PREFECT_API_KEY: "pnu_secret" },
  });
  return { config, ctx: { flowRun: run, pool: { name: poolName, type: "vertex-ai" } }, run };
}
