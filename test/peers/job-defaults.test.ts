/**
 * The default base job templates a real Prefect server hands out (GET
 * /collections/views/aggregate-worker-metadata) for ecs, cloud-run-v2, vertex-ai,
 * azure-container-instance and process, rendered for several deployments and flow runs by
 * `renderJobConfiguration` and by Prefect's own `resolve_for_flow_run` (which merges job variables,
 * runs `from_template_and_values` and `prepare_for_flow_run`) in the pinned .venv. The results must
 * be identical.
 *
 * The worker packages (prefect-aws, prefect-gcp, prefect-azure) are not installed, so for the cloud
 * types Prefect's side is `BaseJobConfiguration` with `extra="allow"`: the base behaviour all of
 * them inherit. Their type-specific `prepare_for_flow_run` additions (e.g. copying env and command
 * into the Cloud Run job body) belong to the backends, not to this module. `process` uses Prefect's
 * real `ProcessJobConfiguration`.
 */

import { beforeAll, describe, expect, inject, it } from "vitest";
import { LocalBackend } from "../../core/backends/process/index.ts";
import { renderJobConfiguration } from "../../core/job/render.ts";
import type { Deployment, Flow, FlowRun, Json, JsonObject, WorkPool } from "../../core/prefect/types.ts";
import { TemplateError } from "../../core/template/errors.ts";
import { parseJson } from "../../core/template/pyFloat.ts";
import {
  decode,
  encode,
  fakeApi,
  ORACLE_SETTINGS,
  type OracleOutput,
  runOracle,
  type Tagged,
} from "./pyOracle.ts";

const TYPES = ["ecs", "cloud-run-v2", "vertex-ai", "azure-container-instance", "process"] as const;
const WORKER = { name: "pushpool-test-worker", id: "6b1f8e0e-63c1-4b5e-9d7a-7f0d0e0c4c11" };
const ENV = { TAG: "v1", HOME: "/home/pushpool", PREFECT_API_URL: "http://dispatcher-only.test/api" };
const FIXTURES = {
  blocksById: encode({
    "0b7e2d3c-0000-4000-8000-000000000001": { aws_access_key_id: "AKIA", region_name: "eu-west-1" },
  }),
  blocksByName: encode([["secret", "registry", { value: "registry.example.com" }]] as unknown as Json),
  variables: encode({ cpu: "2048", labels: { team: "data" } }),
};

const flow: Flow = { id: "2a3f0c55-7e25-4ab4-b0a9-0a5b3f2c9e01", name: "etl-flow", tags: ["t"], labels: {} };

function deploymentOf(jobVariables: JsonObject | null, updated: string, name = "nightly"): Deployment {
  return {
    id: "7d2e4c1a-3b5f-4d6e-8f90-1a2b3c4d5e6f",
    name,
    flow_id: flow.id,
    updated,
    version: "1",
    parameters: {},
    job_variables: jobVariables,
    work_pool_name: "pool",
    work_queue_name: "default",
    tags: [],
  };
}

function flowRunOf(
  deployment: Deployment | null,
  jobVariables: JsonObject | null,
  parameters: JsonObject = {},
): FlowRun {
  return {
    id: "0e9d4f6b-1c2a-4e3f-9a8b-7c6d5e4f3a2b",
    name: "dancing-dolphin",
    flow_id: flow.id,
    deployment_id: deployment?.id ?? null,
    work_pool_name: "pool",
    work_queue_name: "default",
    state_type: "SCHEDULED",
    state_name: "Scheduled",
    state: null,
    parameters,
    job_variables: jobVariables,
    tags: ["a"],
    labels: {},
    infrastructure_pid: null,
    expected_start_time: null,
    next_scheduled_start_time: null,
    start_time: null,
    empirical_policy: {},
  };
}

/** Deployment + flow-run job variables per pool type (shared ones plus type-specific ones). */
function scenarios(type: string): Array<{ label: string; deployment: Deployment | null; flowRun: FlowRun }> {
  const specific: Record<string, JsonObject> = {
    ecs: {
      cluster: "c1",
      cpu: 1024,
      memory: 2048,
      aws_credentials: { $ref: { block_document_id: "0b7e2d3c-0000-4000-8000-000000000001" } },
    },
    "cloud-run-v2": {
      region: "europe-west1",
      cpu: "{{ prefect.variables.cpu }}",
      max_retries: 2,
      timeout: 600,
    },
    "vertex-ai": {
      region: "us-central1",
      image: "img:1",
      maximum_run_time_hours: parseJson("1.5") as Json,
      boot_disk_size_gb: 100,
    },
    "azure-container-instance": {
      resource_group_name: "rg",
      subscription_id: "sub",
      cpu: parseJson("1.0") as Json,
      memory: 2,
    },
    process: { working_dir: "work//dir/./x/", stream_output: "false" },
  };
  const image: JsonObject =
    type === "process" ? {} : { image: "{{ prefect.blocks.secret.registry }}/app:{{ $TAG }}" };
  const d1 = deploymentOf({}, "2026-08-21T12:00:00.123456Z");
  const d2 = deploymentOf(
    {
      ...specific[type],
      ...image,
      env: { A: "1", N: 5, F: parseJson("1.0") as Json, PREFECT_API_KEY: null },
    },
    "2026-08-21T14:00:00+02:00",
  );
  const d3 = deploymentOf(
    {
      name: "job-{{ ctx.flow.name }}-{{ ctx.flow_run.name }}",
      labels: { team: "data" },
      command: "python run.py",
    },
    "2026-01-02T03:04:05.000001+00:00",
    "with-name",
  );
  const d4 = deploymentOf({ env: "{{ prefect.variables.cpu }}", "env.X": "dot" }, "2026-02-03T04:05:06Z");
  return [
    { label: "empty job variables", deployment: d1, flowRun: flowRunOf(d1, {}) },
    {
      label: "env layering, null env, dotted keys",
      deployment: d2,
      flowRun: flowRunOf(d2, { env: { B: "2", A: "over", E: "" }, "env.DOT": "d", "env.A": "dotted-loses" }),
    },
    { label: "ctx name, labels, command", deployment: d3, flowRun: flowRunOf(d3, { labels: { x: "y" } }) },
    {
      label: "name from parameters, flow-run overrides replace whole",
      deployment: d2,
      flowRun: flowRunOf(
        d2,
        { name: "p-{{ ctx.flow_run.parameters.x }}", env: { PREFECT_API_URL: "http://override" } },
        { x: 7 },
      ),
    },
    {
      label: "no deployment",
      deployment: null,
      flowRun: flowRunOf(null, { name: "{{ ctx.flow.missing }}" }),
    },
    { label: "env that is not a dict", deployment: d4, flowRun: flowRunOf(d4, {}) },
  ];
}

type Outcome = { ok: Tagged } | { error: { class: string; message: string } };

async function outcome(render: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: encode((await render()) as never) };
  } catch (error) {
    if (error instanceof TemplateError)
      return { error: { class: error.pythonClass, message: error.message } };
    throw error;
  }
}

interface RenderCase {
  label: string;
  type: string;
  pool: WorkPool;
  deployment: Deployment | null;
  flowRun: FlowRun;
}

const templates: Record<string, JsonObject> = {};
let renderCases: RenderCase[] = [];
let oracle: OracleOutput;

beforeAll(async () => {
  const response = await fetch(`${inject("prefectApiUrl")}/collections/views/aggregate-worker-metadata`);
  expect(response.status).toBe(200);
  const metadata = parseJson(await response.text()) as Record<string, Record<string, JsonObject>>;
  for (const collection of Object.values(metadata)) {
    for (const [type, entry] of Object.entries(collection)) {
      if ((TYPES as readonly string[]).includes(type))
        templates[type] = entry.default_base_job_configuration as JsonObject;
    }
  }
  renderCases = TYPES.flatMap((type) => {
    const pool: WorkPool = {
      id: "5c4b3a29-1807-4f6e-9d8c-7b6a59483726",
      name: `${type}-pool`,
      type,
      base_job_template: templates[type] ?? {},
      is_paused: false,
      concurrency_limit: null,
      status: "READY",
    };
    return scenarios(type).map((s) => ({ ...s, label: `${type}: ${s.label}`, type, pool }));
  });
  oracle = runOracle(
    renderCases.map((c) => ({
      op: "render",
      pool: encode(c.pool as unknown as Json),
      deployment: c.deployment ? encode(c.deployment as unknown as Json) : null,
      flowRun: encode(c.flowRun as unknown as Json),
      flow: encode(flow as unknown as Json),
      workerName: WORKER.name,
      workerId: WORKER.id,
      env: ENV,
      ...FIXTURES,
    })),
  );
}, 60_000);

describe("default base job templates: renderJobConfiguration vs Prefect's resolve_for_flow_run", () => {
  it("the server serves a default template for every type we support", () => {
    expect(Object.keys(templates).sort()).toEqual([...TYPES].sort());
    for (const type of TYPES) expect(templates[type]).toHaveProperty("job_configuration.env", "{{ env }}");
  });

  it("the container base env comes from the worker's explicitly-set Prefect settings", () => {
    expect(oracle.meta.baseEnv).toMatchObject(ORACLE_SETTINGS);
  });

  for (const type of TYPES) {
    it(`${type}: identical rendered configurations`, async () => {
      let compared = 0;
      let succeeded = 0;
      for (const [i, c] of renderCases.entries()) {
        if (c.type !== type) continue;
        const theirs = oracle.results[i] as Outcome;
        const { api } = fakeApi(FIXTURES as never);
        const ours = await outcome(() =>
          renderJobConfiguration({
            pool: c.pool,
            deployment: c.deployment,
            flow,
            flowRun: c.flowRun,
            api,
            env: ENV,
            baseEnv: oracle.meta.baseEnv,
            worker: WORKER,
            prefectVersion: oracle.meta.version,
            // The process worker's own step; the other types have none.
            backend: type === "process" ? new LocalBackend({ pythonExecutable: oracle.meta.python }) : null,
          }),
        );
        expect(ours, c.label).toEqual(theirs);
        if ("ok" in theirs) succeeded += 1;
        compared += 1;
      }
      expect(compared).toBe(6);
      expect(succeeded).toBe(5);
    });
  }

  it("spot checks: env layering, null removal, labels and name", async () => {
    const i = renderCases.findIndex((c) => c.label === "ecs: env layering, null env, dotted keys");
    const c = renderCases[i] as RenderCase;
    const { api } = fakeApi(FIXTURES as never);
    const ours = await renderJobConfiguration({
      pool: c.pool,
      deployment: c.deployment,
      flow,
      flowRun: c.flowRun,
      api,
      env: ENV,
      baseEnv: oracle.meta.baseEnv,
      worker: WORKER,
      prefectVersion: oracle.meta.version,
    });
    expect(ours.env).toMatchObject({
      A: "over",
      B: "2",
      N: "5",
      F: "1.0",
      E: "",
      DOT: "d",
      PREFECT__FLOW_RUN_ID: c.flowRun.id,
    });
    expect(ours.env).not.toHaveProperty("PREFECT_API_KEY");
    expect(ours.labels["prefect.io/deployment-updated"]).toBe("2026-08-21T12:00:00+00:00");
    expect(ours.name).toBe("dancing-dolphin");
    expect(ours.command).toBe("prefect flow-run execute");
    expect(decode(encode(ours as never))).toBeTruthy();
  });
});
