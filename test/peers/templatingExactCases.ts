/**
 * Hand-written exactness cases for the templating differential test (issue #10): integers Python
 * keeps exact and JS numbers cannot (2^53+1, 2^63, -2^63-1, 2^64, 10^30) and dicts whose keys look
 * like integers ({"8080": …, "443": …}, which JS would list as 443 first), in whole-value and
 * embedded placeholders, coming from parameters / job variables, Variables and block data, through
 * apply_values, the block and variable passes, from_template_and_values and resolve_for_flow_run.
 */
import type { Json, JsonObject } from "../../core/prefect/types.ts";
import type { Template } from "../../core/template/notSet.ts";
import { dictFromEntries } from "../../core/template/pyDict.ts";
import { PyFloat } from "../../core/template/pyFloat.ts";
import { PyInt } from "../../core/template/pyInt.ts";
import { encode } from "./pyOracle.ts";

type ExactCase = { label: string; op: string; [key: string]: unknown };

const int = (n: bigint) => new PyInt(n) as Json;
export const B53P1 = int(2n ** 53n + 1n);
export const B63 = int(2n ** 63n);
export const NB63M1 = int(-(2n ** 63n) - 1n);
const B64 = int(2n ** 64n);
const T30 = int(10n ** 30n);
const N70 = int(-(2n ** 70n));
export const PORTS = dictFromEntries<Json>([
  ["8080", "web"],
  ["443", "tls"],
]);
const MIXED = dictFromEntries<Json>([
  ["name", "svc"],
  ["10", B53P1],
  ["2", [PORTS, new PyFloat(1)]],
  [
    "a",
    dictFromEntries<Json>([
      ["9", NB63M1],
      ["1", "one"],
    ]),
  ],
  ["0", null],
]);
const BIG: Array<[string, Json]> = [
  ["2^53+1", B53P1],
  ["2^63", B63],
  ["-2^63-1", NB63M1],
  ["2^64", B64],
  ["10^30", T30],
  ["-2^70", N70],
  ["2^53 float", new PyFloat(2 ** 53)],
  ["2^53-1", 2 ** 53 - 1],
];

const ENV = { HOME_X: "/home/x" };
const VARIABLES: JsonObject = { big: B53P1, b63: B63, neg: NB63M1, ports: PORTS, mixed: MIXED, t30: T30 };
const BLOCKS_BY_NAME: Array<[string, string, JsonObject]> = [
  ["json", "big", { value: B63 }],
  ["json", "neg", { value: NB63M1 }],
  ["json", "ports", { value: PORTS }],
  ["cfg", "c", MIXED],
];
const BLOCKS_BY_ID: Record<string, JsonObject> = { "id-ports": PORTS, "id-mixed": MIXED };
const FIXTURES = {
  env: ENV,
  variables: encode(VARIABLES),
  blocksByName: encode(BLOCKS_BY_NAME as unknown as Json),
  blocksById: encode(BLOCKS_BY_ID),
};

export function exactCases(): ExactCase[] {
  const out: ExactCase[] = [];
  const apply = (label: string, template: Template, values: JsonObject) =>
    out.push({
      label: `exact apply: ${label}`,
      op: "apply",
      template: encode(template),
      values: encode(values),
      env: ENV,
    });
  const op = (name: "blocks" | "variables", label: string, template: Template) =>
    out.push({ label: `exact ${name}: ${label}`, op: name, template: encode(template), ...FIXTURES });

  // Parameters / job variables through apply_values.
  for (const [name, value] of BIG) {
    apply(`whole ${name}`, "{{ x }}", { x: value });
    apply(`embedded ${name}`, "id={{ x }}", { x: value });
    apply(`in a list ${name}`, { l: ["{{ x }}", "{{ x }}-{{ x }}"] }, { x: [value, value] });
  }
  apply("whole int-like-key dict", "{{ ports }}", { ports: PORTS });
  apply("embedded int-like-key dict", "p={{ ports }}", { ports: PORTS });
  apply("embedded mixed dict", "m={{ m }}", { m: MIXED });
  apply("whole mixed dict", { m: "{{ m }}", s: "{{ m.a }}|{{ m.10 }}" }, { m: MIXED });
  apply("lookup by int-like key", "{{ ports.443 }}/{{ ports.8080 }}", { ports: PORTS });
  apply(
    "template dict with int-like keys",
    dictFromEntries<Template>([
      ["8080", "{{ a }}"],
      ["443", "x{{ b }}"],
      ["k", "{{ ports }}"],
      ["1", "{{ missing }}"],
    ]),
    { a: B63, b: NB63M1, ports: PORTS },
  );
  apply(
    "values dict with int-like keys",
    "{{ 10 }}-{{ 2 }}",
    dictFromEntries<Json>([
      ["10", B53P1],
      ["2", "two"],
    ]),
  );

  // Variables.
  for (const name of Object.keys(VARIABLES)) {
    op("variables", `whole ${name}`, `{{ prefect.variables.${name} }}`);
    op("variables", `embedded ${name}`, `v={{ prefect.variables.${name} }}`);
  }
  op(
    "variables",
    "in int-like-key dict",
    dictFromEntries<Template>([
      ["9", "{{ prefect.variables.ports }}"],
      ["1", "{{ prefect.variables.big }} {{ prefect.variables.neg }}"],
    ]),
  );

  // Block data.
  for (const [slug, name] of [
    ["json", "big"],
    ["json", "neg"],
    ["json", "ports"],
    ["cfg", "c"],
  ]) {
    op("blocks", `whole ${slug}.${name}`, `{{ prefect.blocks.${slug}.${name} }}`);
    op("blocks", `embedded ${slug}.${name}`, `b={{ prefect.blocks.${slug}.${name} }}`);
  }
  op("blocks", "keypath into int-like keys", [
    "{{ prefect.blocks.json.ports.8080 }}",
    "{{ prefect.blocks.cfg.c.10 }}",
    "n={{ prefect.blocks.cfg.c.a.9 }}",
    "{{ prefect.blocks.cfg.c.2 }}",
  ]);
  op("blocks", "$ref", {
    a: { $ref: { block_document_id: "id-ports" } },
    b: { $ref: { block_document_id: "id-mixed" } },
  });

  // from_template_and_values: defaults, job variables, env values stringified, names.
  const base: JsonObject = {
    job_configuration: {
      command: "run {{ big }}",
      env: "{{ env }}",
      labels: "{{ labels }}",
      name: "n-{{ big }}-{{ ports }}",
      ports: "{{ ports }}",
      tag: "v{{ neg }}",
      cfg: dictFromEntries<Json>([
        ["8080", "{{ big }}"],
        ["443", "{{ ports }}"],
        ["x", "{{ prefect.variables.mixed }}"],
      ]),
    },
    variables: {
      type: "object",
      properties: {
        big: { default: B63 },
        neg: { default: NB63M1 },
        ports: { default: PORTS },
        env: {
          default: dictFromEntries<Json>([
            ["9", "nine"],
            ["A", B53P1],
          ]),
        },
        labels: {},
      },
    },
  };
  const fromTemplate = (label: string, values: JsonObject) =>
    out.push({
      label: `exact fromTemplate: ${label}`,
      op: "fromTemplate",
      baseJobTemplate: encode(base),
      values: encode(values),
      ...FIXTURES,
    });
  fromTemplate("defaults", {});
  fromTemplate("job variables", {
    big: B53P1,
    env: dictFromEntries<Json>([
      ["8080", B63],
      ["443", PORTS],
      ["B", NB63M1],
      ["1", MIXED],
    ]),
    "env.7": T30,
  });

  // resolve_for_flow_run: parameters in the name, deployment and flow-run job variables.
  out.push(...renderCases());
  return out;
}

const FLOW = { id: "2a3f0c55-7e25-4ab4-b0a9-0a5b3f2c9e01", name: "etl", tags: [], labels: {} };
const POOL = {
  id: "5c4b3a29-1807-4f6e-9d8c-7b6a59483726",
  name: "ecs-pool",
  type: "ecs",
  base_job_template: {
    job_configuration: {
      command: "{{ command }}",
      env: "{{ env }}",
      labels: "{{ labels }}",
      name: "{{ name }}",
      cpu: "{{ cpu }}",
      tags: "{{ tags }}",
    },
    variables: { type: "object", properties: { cpu: { default: B53P1 }, tags: { default: PORTS } } },
  },
  is_paused: false,
  concurrency_limit: null,
  status: "READY",
};

/** A `render` case: the pool above, a deployment and a flow run with these parameters and job variables. */
export function renderCase(
  label: string,
  parameters: JsonObject,
  jobVariables: JsonObject,
  deploymentJobVariables: JsonObject,
): ExactCase {
  const deployment = {
    id: "7d2e4c1a-3b5f-4d6e-8f90-1a2b3c4d5e6f",
    name: "nightly",
    flow_id: FLOW.id,
    updated: "2026-08-21T12:00:00.123456Z",
    version: "1",
    parameters,
    job_variables: deploymentJobVariables,
    work_pool_name: POOL.name,
    work_queue_name: "default",
    tags: [],
  };
  const flowRun = {
    id: "0e9d4f6b-1c2a-4e3f-9a8b-7c6d5e4f3a2b",
    name: "dancing-dolphin",
    flow_id: FLOW.id,
    deployment_id: deployment.id,
    work_pool_name: POOL.name,
    work_queue_name: "default",
    state_type: "SCHEDULED",
    state_name: "Scheduled",
    state: null,
    parameters,
    job_variables: jobVariables,
    tags: [],
    labels: {},
    infrastructure_pid: null,
    expected_start_time: null,
    next_scheduled_start_time: null,
    start_time: null,
    empirical_policy: {},
  };
  return {
    label,
    op: "render",
    pool: encode(POOL as unknown as Json),
    deployment: encode(deployment as unknown as Json),
    flowRun: encode(flowRun as unknown as Json),
    flow: encode(FLOW as unknown as Json),
    workerName: "pushpool-test-worker",
    workerId: "6b1f8e0e-63c1-4b5e-9d7a-7f0d0e0c4c11",
    ...FIXTURES,
  };
}

function renderCases(): ExactCase[] {
  const parameters = { big: B63, neg: NB63M1, ports: PORTS, mixed: MIXED };
  const deploymentVariables = {
    env: dictFromEntries<Json>([
      ["443", "a"],
      ["8080", B53P1],
    ]),
    tags: MIXED,
  };
  return [
    renderCase(
      "exact render: parameters in the name",
      parameters,
      { name: "p-{{ ctx.flow_run.parameters.big }}-{{ ctx.flow_run.parameters.ports }}" },
      deploymentVariables,
    ),
    renderCase(
      "exact render: mixed parameter in the name, env layered",
      parameters,
      {
        name: "{{ ctx.flow_run.parameters.mixed }} {{ ctx.flow_run.parameters.neg }}",
        env: dictFromEntries<Json>([
          ["8080", NB63M1],
          ["10", "ten"],
          ["Z", MIXED],
        ]),
        cpu: T30,
      },
      deploymentVariables,
    ),
  ];
}
