/**
 * The Vertex AI parity cases: deployment (and flow-run) job variables for a `vertex-ai` pool, most
 * under prefect-gcp's own default template, some under a customised one. Each names the declared
 * differences (docs/parity/differences.md, Vertex AI section) it shows besides the display name's
 * and the token label's, which every rendered case shows. `sent` checks the CreateCustomJob body
 * the real client put on the wire (as the JobService fake decoded it).
 */
import { expect } from "vitest";
import type { JsonObject } from "../../../core/prefect/types.ts";

export interface VertexTemplateJson {
  job_configuration: { job_spec: JsonObject } & JsonObject;
  variables: { properties: Record<string, JsonObject>; required?: string[] };
}

/** What the fake recorded: the CreateCustomJob body (proto3 JSON). */
type Sent = { jobSpec: JsonObject & { workerPoolSpecs: JsonObject[]; scheduling?: JsonObject } } & JsonObject;

export interface VertexCase {
  name: string;
  vars: JsonObject;
  runVars?: JsonObject;
  runName?: string;
  template?(t: VertexTemplateJson): void;
  /** Table rows (beyond the display name's and the token label's) this case shows. */
  differences?: string[];
  /** Both sides refuse the configuration: its message must match this on both. */
  fails?: RegExp;
  /** Checks of the body the real client sent. */
  sent?(job: Sent): void;
}

const REQUIRED = {
  region: "us-central1",
  image: "us-docker.pkg.dev/acme/flows/etl:2026-08",
  service_account_name: "flows@acme.iam.gserviceaccount.com",
};
const pool0 = (t: VertexTemplateJson) =>
  (t.job_configuration.job_spec.worker_pool_specs as JsonObject[])[0] as JsonObject;
const wire0 = (job: Sent) => job.jobSpec.workerPoolSpecs[0] as JsonObject;

/** A service-account key; its private key is filled in by the test (a fresh RSA key). */
export const KEY_PLACEHOLDER = "<rsa private key>";
const KEY = {
  type: "service_account",
  project_id: "acme-keyed",
  private_key_id: "0123456789abcdef",
  private_key: KEY_PLACEHOLDER,
  client_email: "keyed-runner@acme-keyed.iam.gserviceaccount.com",
  client_id: "100000000000000000001",
  token_uri: "https://oauth2.googleapis.com/token",
};

export const VERTEX_CASES: VertexCase[] = [
  {
    name: "defaults (the required variables and a run-as account)",
    vars: REQUIRED,
    sent: (job) => {
      expect(job.jobSpec.scheduling).toEqual({ timeout: "3600s" });
      expect(wire0(job).machineSpec).toEqual({ machineType: "n1-standard-4" });
      expect(wire0(job).diskSpec).toEqual({ bootDiskType: "pd-ssd", bootDiskSizeGb: 100 });
      expect((wire0(job).containerSpec as JsonObject).command).toEqual(["prefect", "flow-run", "execute"]);
      expect(job.jobSpec.serviceAccount).toBe(REQUIRED.service_account_name);
    },
  },
  {
    name: "FLEX_START scheduling with a maximum wait; the run time sets the timeout",
    vars: {
      ...REQUIRED,
      scheduling: { strategy: "FLEX_START", max_wait_duration: "1800s" },
      maximum_run_time_hours: 6,
    },
    sent: (job) =>
      expect(job.jobSpec.scheduling).toEqual({
        strategy: "FLEX_START",
        maxWaitDuration: "1800s",
        timeout: "21600s",
      }),
  },
  {
    name: "scheduling without a strategy name is dropped, as Prefect drops it (timeout only)",
    vars: { ...REQUIRED, scheduling: { max_wait_duration: "600s", disable_retries: true } },
    sent: (job) => expect(job.jobSpec.scheduling).toEqual({ timeout: "3600s" }),
  },
  {
    name: "accelerators and a GPU machine",
    vars: {
      ...REQUIRED,
      machine_type: "a2-highgpu-2g",
      accelerator_type: "NVIDIA_TESLA_A100",
      accelerator_count: 2,
    },
    sent: (job) =>
      expect(wire0(job).machineSpec).toEqual({
        machineType: "a2-highgpu-2g",
        acceleratorType: "NVIDIA_TESLA_A100",
        acceleratorCount: 2,
      }),
  },
  {
    name: "VPC peering: network and reserved IP ranges",
    vars: {
      ...REQUIRED,
      network: "projects/123456789/global/networks/flows-vpc",
      reserved_ip_ranges: ["vertex-range-a", "vertex-range-b"],
    },
    sent: (job) => {
      expect(job.jobSpec.network).toBe("projects/123456789/global/networks/flows-vpc");
      expect(job.jobSpec.reservedIpRanges).toEqual(["vertex-range-a", "vertex-range-b"]);
    },
  },
  {
    name: "web and dashboard access, boot disk, run time, region",
    vars: {
      ...REQUIRED,
      region: "europe-west4",
      enable_web_access: true,
      enable_dashboard_access: true,
      boot_disk_type: "pd-standard",
      boot_disk_size_gb: 250,
      maximum_run_time_hours: 2,
    },
    sent: (job) => {
      expect([job.jobSpec.enableWebAccess, job.jobSpec.enableDashboardAccess]).toEqual([true, true]);
      expect(wire0(job).diskSpec).toEqual({ bootDiskType: "pd-standard", bootDiskSizeGb: 250 });
      expect(job.jobSpec.scheduling).toEqual({ timeout: "7200s" });
    },
  },
  {
    name: "a command string is split; env from the deployment and the flow run",
    vars: {
      ...REQUIRED,
      command: "python -m flows.etl --date '2026-08-21 00:00'",
      env: { LOG_LEVEL: "debug", EMPTY: "" },
    },
    runVars: { env: { LOG_LEVEL: "info", RUN_ONLY: "1" } },
    sent: (job) =>
      expect((wire0(job).containerSpec as JsonObject).command).toEqual([
        "python",
        "-m",
        "flows.etl",
        "--date",
        "2026-08-21 00:00",
      ]),
  },
  {
    name: "labels: a run name and values with dots, slashes, capitals and accents",
    vars: REQUIRED,
    runName: "Nightly.Backfill/2026 Été",
    sent: (job) =>
      expect((job.labels as JsonObject)["prefect-io_flow-run-name"]).toBe("nightly-backfill_2026-ete"),
  },
  {
    name: "the run-as account from a GcpCredentials key (its client_email), project from the key",
    vars: { region: "us-east1", image: REQUIRED.image, credentials: { service_account_info: KEY } },
    sent: (job) => expect(job.jobSpec.serviceAccount).toBe(KEY.client_email),
  },
  {
    name: "a block's project wins over the key's; service_account_name wins over the key's e-mail",
    vars: { ...REQUIRED, credentials: { project: "acme-prod", service_account_info: KEY } },
    sent: (job) => expect(job.jobSpec.serviceAccount).toBe(REQUIRED.service_account_name),
  },
  {
    name: "no run-as account anywhere: Prefect refuses at prepare, pushpool asks the function's identity",
    vars: { region: REQUIRED.region, image: REQUIRED.image },
    differences: ["job_spec.service_account_name (the function's identity)"],
  },
  {
    name: "customised template: CustomJobSpec extras kept, unknown keys ignored, template env replaced",
    vars: REQUIRED,
    template: (t) => {
      const spec = t.job_configuration.job_spec;
      spec.base_output_directory = { output_uri_prefix: "gs://acme-flows/out" };
      spec.persistent_resource_id = "warm-pool";
      spec.not_a_vertex_field = "ignored";
      (pool0(t).container_spec as JsonObject).env = [{ name: "FROM_TEMPLATE", value: "x" }];
      pool0(t).replica_count = 1;
    },
    sent: (job) => {
      expect(job.jobSpec.baseOutputDirectory).toEqual({ outputUriPrefix: "gs://acme-flows/out" });
      expect(job.jobSpec.persistentResourceId).toBe("warm-pool");
      expect(job.jobSpec).not.toHaveProperty("notAVertexField");
      const env = (wire0(job).containerSpec as JsonObject).env as JsonObject[];
      expect(env.some((e) => e.name === "FROM_TEMPLATE")).toBe(false);
    },
  },
  {
    name: "customised template: a command list and args kept, a hard-coded machine",
    vars: REQUIRED,
    template: (t) => {
      const container = pool0(t).container_spec as JsonObject;
      container.command = ["/bin/sh", "-c"];
      container.args = ["prefect flow-run execute"];
      pool0(t).machine_spec = { machine_type: "e2-standard-8" };
    },
    sent: (job) => {
      const container = wire0(job).containerSpec as JsonObject;
      expect([container.command, container.args]).toEqual([["/bin/sh", "-c"], ["prefect flow-run execute"]]);
      expect(wire0(job).machineSpec).toEqual({ machineType: "e2-standard-8" });
    },
  },
  {
    name: "customised template without disk_spec: both refuse with Prefect's validator message",
    vars: REQUIRED,
    template: (t) => {
      delete pool0(t).disk_spec;
    },
    fails: /Job is missing required attributes at the following paths: \/worker_pool_specs\/0\/disk_spec/,
  },
  {
    name: "customised template without worker pools: both refuse, every missing path named",
    vars: REQUIRED,
    template: (t) => {
      t.job_configuration.job_spec.worker_pool_specs = [];
      delete t.job_configuration.job_spec.maximum_run_time_hours;
    },
    fails: /paths: \/maximum_run_time_hours, \/worker_pool_specs\/0/,
  },
];
