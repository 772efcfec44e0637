/**
 * The Cloud Run v2 parity cases: deployment (and flow-run) job variables for a `cloud-run-v2`
 * pool, most under prefect-gcp's own default template, some under a customised one. Each names
 * the declared differences (docs/parity/differences.md, Cloud Run v2 section) it shows besides the
 * job id's, which every case shows.
 */
import type { JsonObject } from "../../../core/prefect/types.ts";

export interface TemplateJson {
  job_configuration: { job_body: JsonObject } & JsonObject;
  variables: { properties: Record<string, JsonObject> };
}

export interface ParityCase {
  name: string;
  vars: JsonObject;
  runVars?: JsonObject;
  runName?: string;
  template?(t: TemplateJson): void;
  /** Table rows (beyond `CreateJob.jobId`) this case shows. */
  differences?: string[];
  /** Both sides refuse the configuration: its message must match this on both. */
  fails?: RegExp;
}

const container = (t: TemplateJson) =>
  ((t.job_configuration.job_body.template as JsonObject).template as JsonObject).containers as JsonObject[];
const task = (t: TemplateJson) =>
  (t.job_configuration.job_body.template as JsonObject).template as JsonObject;

const SECRET = { secret: "prefect-api-key", version: "latest" };

export const CASES: ParityCase[] = [
  { name: "defaults", vars: {} },
  {
    name: "every plain variable",
    vars: {
      image: "europe-docker.pkg.dev/acme/flows/etl:2026-08",
      region: "europe-west1",
      cpu: "2000m",
      memory: "2Gi",
      max_retries: 2,
      launch_stage: "GA",
      keep_job: true,
      service_account_name: "flows@acme.iam.gserviceaccount.com",
      credentials: { project: "acme-prod" },
    },
  },
  {
    name: "env, env_from_secrets and the API key secret (plaintext key dropped)",
    vars: {
      env: { LOG_LEVEL: "debug", EMPTY: "" },
      env_from_secrets: { DB_PASSWORD: { secret: "db-password", version: "3" } },
      prefect_api_key_secret: SECRET,
    },
  },
  {
    name: "env_from_secrets covers the key; the auth string secret; plaintext auth string dropped",
    vars: {
      env: { PREFECT_API_AUTH_STRING: "admin:pass" },
      env_from_secrets: { PREFECT_API_KEY: { secret: "key-from-env-secrets", version: "1" } },
      prefect_api_auth_string_secret: { secret: "auth-string", version: "latest" },
    },
  },
  {
    name: "flow-run env over the deployment's",
    vars: { env: { A: "deployment", B: "deployment" } },
    runVars: { env: { B: "run", C: "run" } },
  },
  {
    name: "labels sanitised (case, dots, slashes, leading digits, long) and capped at 64",
    vars: {
      labels: {
        "Team.Name/Owner": "Data Platform",
        "9lives": "x",
        ___: "dropped key",
        [`very-long-${"k".repeat(70)}`]: "v".repeat(80),
        ...Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`extra-${i}`, `value ${i}`])),
      },
    },
  },
  {
    name: "command and args strings",
    vars: { command: "python -m 'my flows'.run --fast", args: "--x 1 'two words'" },
  },
  { name: "args list", vars: { args: ["--date", "2026-08-21"] } },
  {
    name: "vpc connector set",
    vars: { vpc_connector_name: "projects/acme/locations/europe-west1/connectors/c1" },
  },
  { name: "vpc connector empty string", vars: { vpc_connector_name: "" } },
  {
    name: "cloudsql instances",
    vars: { cloudsql_instances: ["acme:europe-west1:db1", "acme:europe-west1:db2"] },
  },
  { name: "timeout as a string", vars: { timeout: "3600" } },
  { name: "timeout 7 days", vars: { timeout: 604800 } },
  { name: "timeout 0 refused", vars: { timeout: 0 }, fails: /greater than 0/ },
  {
    name: "a long name with punctuation and accents",
    vars: { name: "Nightly ETL: Café Ünïcode/2026 — the very long name that overflows a job id" },
  },
  {
    name: "a name that starts with a digit",
    vars: { name: "2026-08-21 backfill" },
    differences: ["CreateJob.jobId (leading non-letter)"],
  },
  {
    name: "customised job_body: own labels, volumes, sidecar, command list, vpcAccess egress, no image",
    vars: { vpc_connector_name: "c1", cloudsql_instances: ["acme:us-central1:db"] },
    template(t) {
      const body = t.job_configuration.job_body;
      body.labels = { team: "data", "prefect-io-flow-name": "template-wins" };
      (body.template as JsonObject).labels = { tier: "batch" };
      body.annotations = { "run.googleapis.com/client-name": "acme" };
      const tpl = task(t);
      tpl.vpcAccess = { connector: "{{ vpc_connector_name }}", egress: "ALL_TRAFFIC" };
      tpl.volumes = [{ name: "scratch", emptyDir: { medium: "MEMORY" } }];
      const [main] = container(t);
      if (!main) throw new Error("no container");
      delete main.image;
      main.command = ["python", "-m", "flows"];
      main.volumeMounts = [{ name: "scratch", mountPath: "/scratch" }];
      container(t).push({ name: "sidecar", image: "busybox", env: [{ name: "S", value: "1" }] });
    },
    differences: ["job_body.template.template.containers[0].image (default)"],
  },
  {
    name: "customised: vpcAccess with only a null connector and network interfaces",
    vars: {},
    template(t) {
      task(t).vpcAccess = { connector: null, networkInterfaces: [{ network: "default" }] };
    },
  },
  {
    name: "customised: job_body without containers refused",
    vars: {},
    template(t) {
      task(t).containers = undefined as never;
      delete task(t).containers;
    },
    fails: /Job body is missing required components: \/template\/template\/containers/,
  },
  {
    name: "customised: a container without env",
    vars: { env: { A: "1" } },
    template(t) {
      const [main] = container(t);
      if (main) delete main.env;
    },
    differences: ["job_body.template.template.containers[0].env (absent)"],
  },
];
