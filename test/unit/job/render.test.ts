import { describe, expect, it } from "vitest";
import { renderJobConfiguration } from "../../../core/job/render.ts";
import type { Deployment, Flow, FlowRun, WorkPool } from "../../../core/prefect/types.ts";
import { BlockNotFoundError } from "../../../core/template/errors.ts";
import { fakeTemplateApi } from "../template/fakes.ts";

const pool: WorkPool = {
  id: "pool-1",
  name: "ecs-pool",
  type: "ecs",
  is_paused: false,
  concurrency_limit: null,
  base_job_template: {
    job_configuration: {
      command: "{{ command }}",
      env: "{{ env }}",
      labels: "{{ labels }}",
      name: "{{ name }}",
      image: "{{ image }}",
      creds: "{{ creds }}",
      task: { cpu: "{{ cpu }}", tags: "{{ labels }}" },
    },
    variables: { properties: { cpu: { default: 1024 }, env: { default: { D: "d" } }, image: {}, creds: {} } },
  },
};
const flow: Flow = { id: "flow-1", name: "etl" };
const deployment = {
  id: "dep-1",
  name: "nightly",
  flow_id: "flow-1",
  updated: "2026-08-21T12:00:00Z",
  job_variables: {
    env: { A: "dep", B: "dep" },
    image: "repo/{{ prefect.variables.img }}",
    name: "job-{{ ctx.flow.name }}",
  },
} as unknown as Deployment;
const flowRun = {
  id: "run-1",
  name: "dancing-dolphin",
  flow_id: "flow-1",
  deployment_id: "dep-1",
  job_variables: { env: { B: "run" }, cpu: 2048, creds: { $ref: { block_document_id: "blk" } } },
} as unknown as FlowRun;

describe("renderJobConfiguration", () => {
  it("merges job variables, renders the template and prepares the run", async () => {
    const api = fakeTemplateApi({ byId: { blk: { key: "secret" } }, variables: { img: "app:1" } });
    const out = await renderJobConfiguration({
      pool,
      deployment,
      flow,
      flowRun,
      api,
      env: {},
      baseEnv: { PREFECT_API_URL: "http://api" },
      worker: { name: "pushpool" },
      prefectVersion: "3.9.1",
    });
    expect(out).toMatchObject({
      command: "prefect flow-run execute",
      name: "job-etl",
      image: "repo/app:1",
      creds: { key: "secret" },
      task: { cpu: 2048 }, // {{ labels }} has no value: the key is dropped
    });
    expect(out.task).toEqual({ cpu: 2048 });
    expect(out.env).toMatchObject({
      D: "d",
      A: "dep",
      B: "run",
      PREFECT_API_URL: "http://api",
      PREFECT__FLOW_RUN_ID: "run-1",
    });
    expect(out.labels).toMatchObject({
      "prefect.io/worker-name": "pushpool",
      "prefect.io/deployment-updated": "2026-08-21T12:00:00+00:00",
    });
    expect(api.calls).toEqual({ byId: ["blk"], byName: [], variables: ["img"] });
    expect(flowRun.job_variables).toEqual({
      env: { B: "run" },
      cpu: 2048,
      creds: { $ref: { block_document_id: "blk" } },
    });
  });

  it("fails with a non-retryable error when a referenced block is gone", async () => {
    const api = fakeTemplateApi({ variables: { img: "app:1" } });
    const render = renderJobConfiguration({
      pool,
      deployment,
      flow,
      flowRun,
      api,
      env: {},
      baseEnv: {},
      worker: { name: "pushpool" },
      prefectVersion: "3.9.1",
    });
    await expect(render).rejects.toThrow(BlockNotFoundError);
    await expect(render).rejects.toMatchObject({ retryable: false });
  });
});
