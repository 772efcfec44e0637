/**
 * Builds `azure-container-instance` job configurations the way dispatch does: Prefect's own
 * default base job template (taken from prefect-azure 0.4.13: test/fixtures/azure/) rendered with
 * job variables, then prepared for a flow run.
 */
import { fromTemplateAndValues } from "../../../core/job/fromTemplate.ts";
import { prepareForFlowRun } from "../../../core/job/prepare.ts";
import type { JobConfiguration } from "../../../core/job/types.ts";
import type { BackendContext } from "../../../core/ports/backend.ts";
import type { BaseJobTemplate, Deployment, Flow, FlowRun, JsonObject } from "../../../core/prefect/types.ts";
import template from "../../fixtures/azure/aci-base-job-template.json" with { type: "json" };
import { fakeTemplateApi } from "../template/fakes.ts";

export const aciTemplate = template as unknown as BaseJobTemplate;
export const ACI_POOL_TYPE = "azure-container-instance";
export const FLOW: Flow = { id: "0b9d6a6c-0000-4000-8000-00000000f10e", name: "My ETL flow" };
/** Variables every ACI pool must set (Prefect: required). */
export const REQUIRED: JsonObject = {
  resource_group_name: "pushpool-rg",
  subscription_id: "00000000-0000-4000-8000-00000000005b",
  image: "prefecthq/prefect:3-python3.12",
};

let counter = 0;

export function makeRun(): FlowRun {
  counter++;
  const id = `9f1c2e3a-${String(counter).padStart(4, "0")}-4000-8000-000000000000`;
  return {
    id,
    name: `dancing-dolphin-${counter}`,
    flow_id: FLOW.id,
    deployment_id: "d0000000-0000-4000-8000-000000000001",
    state_type: "PENDING",
    state_name: "Pending",
    state: { type: "PENDING", name: "Pending", timestamp: new Date().toISOString() },
    parameters: {},
    job_variables: {},
    tags: [],
    infrastructure_pid: null,
    expected_start_time: null,
    next_scheduled_start_time: null,
    start_time: null,
    empirical_policy: {},
  } as FlowRun;
}

export interface RenderOptions {
  template?: BaseJobTemplate;
  run?: FlowRun;
  flow?: Flow;
  baseEnv?: Record<string, string>;
  blocks?: Record<string, JsonObject>;
}

/** Renders Prefect's template with `values` (over {@link REQUIRED}) for a run. */
export async function renderAci(
  values: JsonObject = {},
  options: RenderOptions = {},
): Promise<{ config: JobConfiguration; ctx: BackendContext; run: FlowRun }> {
  const run = options.run ?? makeRun();
  const deployment = {
    id: run.deployment_id,
    name: "nightly",
    flow_id: FLOW.id,
    updated: "2026-08-21T12:00:00Z",
  } as Deployment;
  const templated = await fromTemplateAndValues(
    options.template ?? aciTemplate,
    { ...REQUIRED, ...values },
    { api: fakeTemplateApi({ byName: options.blocks }) },
  );
  const config = prepareForFlowRun(templated, {
    flowRun: run,
    deployment,
    flow: options.flow ?? FLOW,
    pool: { id: "p0000000-0000-4000-8000-000000000000", name: "my-aci-pool", type: ACI_POOL_TYPE },
    workerName: "pushpool",
    prefectVersion: "0.1.0",
    baseEnv: options.baseEnv ?? {
      PREFECT_API_URL: "https://prefect.example/api",
      PREFECT_API_KEY: "pnu_secret",
    },
  });
  return { config, ctx: { flowRun: run, pool: { name: "my-aci-pool", type: ACI_POOL_TYPE } }, run };
}
