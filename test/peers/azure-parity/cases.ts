/**
 * The ACI parity cases: job variables (and template customisations) both sides get, on prefect-azure's
 * own default base job template. Every case is one fresh flow run.
 */
import { randomUUID } from "node:crypto";
import type { Flow, JsonObject } from "../../../core/prefect/types.ts";
import type { CaseInput } from "./harness.ts";

export interface ParityCase {
  name: string;
  vars: JsonObject;
  flowName?: string;
  /** Changes the pool's base job template (a customised `arm_template`). */
  template?(t: { job_configuration: { arm_template: JsonObject } }): void;
}

const REQUIRED = {
  resource_group_name: "pushpool-rg",
  subscription_id: "00000000-0000-4000-8000-0000000000a1",
};
export const IMAGE = "pushpool.azurecr.io/flows:2026-08";
const IDENTITY =
  "/subscriptions/00000000-0000-4000-8000-0000000000a1/resourceGroups/id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/flows";

/** The first resource's first container of a template, for customisations. */
function firstGroup(t: { job_configuration: { arm_template: JsonObject } }) {
  return (t.job_configuration.arm_template.resources as JsonObject[])[0] as { properties: JsonObject };
}

export const CASES: ParityCase[] = [
  { name: "defaults (no image: each side's default)", vars: { ...REQUIRED } },
  { name: "image, cpu and memory as floats", vars: { ...REQUIRED, image: IMAGE, cpu: 2.5, memory: 3.5 } },
  {
    name: "env with the API auth string (secureValue) and plain values",
    vars: {
      ...REQUIRED,
      image: IMAGE,
      env: { PREFECT_API_AUTH_STRING: "user:pass", MODE: "nightly", EMPTY: "" },
    },
  },
  {
    name: "entrypoint + a command string with quotes",
    vars: {
      ...REQUIRED,
      image: IMAGE,
      entrypoint: "/usr/bin/dumb-init",
      command: "python -m flows.etl --day '2026-08-01' \"a b\"",
    },
  },
  { name: "no entrypoint", vars: { ...REQUIRED, image: IMAGE, entrypoint: null } },
  {
    name: "Docker registry credentials",
    vars: {
      ...REQUIRED,
      image: IMAGE,
      image_registry: {
        username: "puller",
        password: "s3cret-pass",
        registry_url: "registry.example.com",
        reauth: true,
      },
    },
  },
  {
    name: "ACR managed identity",
    vars: {
      ...REQUIRED,
      image: IMAGE,
      identities: [IDENTITY],
      image_registry: { registry_url: "pushpool.azurecr.io", identity: IDENTITY },
    },
  },
  {
    name: "identities, subnets and DNS servers",
    vars: {
      ...REQUIRED,
      image: IMAGE,
      identities: [IDENTITY, `${IDENTITY}-2`],
      subnet_ids: [
        "/subscriptions/x/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/flows",
      ],
      dns_servers: ["10.0.0.4", "10.0.0.5"],
    },
  },
  { name: "GPU", vars: { ...REQUIRED, image: IMAGE, gpu_count: 1, gpu_sku: "V100" } },
  { name: "labels", vars: { ...REQUIRED, image: IMAGE, labels: { team: "data", "cost/center": "42" } } },
  {
    name: "a long flow name with spaces, accents and punctuation",
    flowName: "Nightly Crème Brûlée ETL — v2 (prod)",
    vars: { ...REQUIRED, image: IMAGE, keep_container_group: true },
  },
  {
    name: "a customised template: a second container, a changed default, an extra parameter",
    vars: { ...REQUIRED, image: IMAGE },
    template(t) {
      const arm = t.job_configuration.arm_template as { parameters: JsonObject };
      arm.parameters.sidecar_image = { type: "string", defaultValue: "busybox:1.36" };
      const group = firstGroup(t);
      group.properties.restartPolicy = "OnFailure";
      (group.properties.containers as JsonObject[]).push({
        name: "[concat(parameters('container_name'), '-sidecar')]",
        properties: {
          image: "[parameters('sidecar_image')]",
          command: ["sleep", "30"],
          resources: { requests: { cpu: 0.5, memoryInGB: 0.5 } },
        },
      });
    },
  },
];

/** The pool, deployment and flow run of one case (fresh ids). */
export function caseInput(c: ParityCase, template: JsonObject, index: number): CaseInput {
  const baseJobTemplate = structuredClone(template);
  c.template?.(baseJobTemplate as never);
  const poolName = `aci-parity-${index}`;
  const flow: Flow = { id: randomUUID(), name: c.flowName ?? "etl-flow", tags: [], labels: {} } as Flow;
  const deployment = {
    id: randomUUID(),
    name: "nightly",
    flow_id: flow.id,
    updated: "2026-08-21T12:00:00.123456Z",
    version: "1",
    parameters: {},
    job_variables: { ...c.vars, task_watch_poll_interval: 0.2 },
    work_pool_name: poolName,
    work_queue_name: "default",
    tags: [],
  };
  const flowRun = {
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
    job_variables: {},
    tags: [],
    labels: {},
    infrastructure_pid: null,
    expected_start_time: null,
    next_scheduled_start_time: null,
    start_time: null,
    empirical_policy: {},
  };
  return {
    label: c.name,
    pool: {
      id: randomUUID(),
      name: poolName,
      type: "azure-container-instance",
      base_job_template: baseJobTemplate,
      is_paused: false,
      concurrency_limit: null,
      status: "READY",
    } as never,
    deployment: deployment as never,
    flowRun: flowRun as never,
    flow,
  };
}
