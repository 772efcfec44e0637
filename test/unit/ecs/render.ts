/**
 * Builds ECS job configurations the way dispatch does: the real bundled `ecs` base job template
 * (taken from prefect-aws) rendered with job variables, then prepared for a flow run.
 */

import { EcsBackend, type EcsBackendOptions } from "../../../core/backends/ecs/index.ts";
import { fromTemplateAndValues } from "../../../core/job/fromTemplate.ts";
import { prepareForFlowRun } from "../../../core/job/prepare.ts";
import type { JobConfiguration } from "../../../core/job/types.ts";
import type { BackendContext } from "../../../core/ports/backend.ts";
import type { BaseJobTemplate, Deployment, Flow, FlowRun, JsonObject } from "../../../core/prefect/types.ts";
import template from "../../fixtures/aws/ecs-base-job-template.json" with { type: "json" };
import { submitVia } from "../fakes/submit.ts";
import { fakeTemplateApi } from "../template/fakes.ts";
import { FakeEcsApi } from "./fakeEcs.ts";

export const bundledTemplate = template as unknown as BaseJobTemplate;

export const FLOW: Flow = { id: "0b9d6a6c-0000-4000-8000-00000000f10e", name: "etl" };

let counter = 0;

export function makeRun(deploymentId: string | null = "d0000000-0000-4000-8000-000000000001"): FlowRun {
  counter++;
  const id = `9f1c2e3a-${String(counter).padStart(4, "0")}-4000-8000-000000000000`;
  return {
    id,
    name: `dancing-dolphin-${counter}`,
    flow_id: FLOW.id,
    deployment_id: deploymentId,
    state_type: "PENDING",
    state_name: "Pending",
    state: null,
    parameters: {},
    job_variables: {},
    tags: [],
    infrastructure_pid: null,
    expected_start_time: null,
    next_scheduled_start_time: null,
    start_time: null,
    empirical_policy: {},
  };
}

export interface RenderOptions {
  template?: BaseJobTemplate;
  run?: FlowRun;
  poolName?: string;
  baseEnv?: Record<string, string>;
}

/** Renders the bundled template with `values` for a fresh run; returns the configuration and backend context. */
export async function renderEcs(
  values: JsonObject = {},
  options: RenderOptions = {},
): Promise<{ config: JobConfiguration; ctx: BackendContext; run: FlowRun }> {
  const run = options.run ?? makeRun();
  const poolName = options.poolName ?? "my-ecs-pool";
  const deployment = run.deployment_id
    ? ({
        id: run.deployment_id,
        name: "nightly",
        flow_id: FLOW.id,
        updated: "2026-08-21T12:00:00Z",
      } as Deployment)
    : null;
  const templated = await fromTemplateAndValues(options.template ?? bundledTemplate, values, {
    api: fakeTemplateApi(),
  });
  const config = prepareForFlowRun(templated, {
    flowRun: run,
    deployment,
    flow: FLOW,
    pool: { id: "p0000000-0000-4000-8000-000000000000", name: poolName, type: "ecs" },
    workerName: "pushpool",
    prefectVersion: "0.1.0",
    baseEnv: options.baseEnv ?? {
      PREFECT_API_URL: "https://prefect.example/api",
      PREFECT_API_KEY: "pnu_secret",
    },
  });
  return { config, ctx: { flowRun: run, pool: { name: poolName, type: "ecs" } }, run };
}

/** A backend on a fake EcsApi that never sleeps. */
export function makeBackend(options: Partial<EcsBackendOptions> = {}, api = new FakeEcsApi()) {
  const factoryCalls: unknown[] = [];
  const backend = new EcsBackend({
    ecsApiFor: (credentials) => {
      factoryCalls.push(credentials);
      return api;
    },
    sleep: async () => {},
    random: () => 0,
    ...options,
  });
  return { backend, api, factoryCalls };
}

/** Renders, prepares and submits; returns everything the assertions need. */
export async function submitWith(values: JsonObject = {}, options: RenderOptions & { token?: string } = {}) {
  const { backend, api } = makeBackend();
  const { config, ctx } = await renderEcs(values, options);
  const request = backend.prepare(config, ctx);
  const { pid } = await submitVia(backend, request, options.token ?? "token-1", ctx);
  return { backend, api, request, pid, config, ctx };
}
