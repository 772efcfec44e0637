/**
 * The parity cases of issue #10: what Prefect's worker refuses (nulls its model refuses, ECS
 * integers given as strings), the cluster part of the pid, `match_latest_revision_in_family`
 * against hand-registered revisions, the undeclared differences (a plain PREFECT_API_KEY beside the
 * secret, a family ECS refuses), and customised templates.
 */
import type { JsonObject } from "../../../core/prefect/types.ts";
import { base, type ParityCase, type TemplateJson } from "./cases.ts";
import { API_KEY_SECRET, differsFamily, EXEC_ROLE, IMAGE, matchFamily } from "./fixtures.ts";

const orchestrationOverride = (t: TemplateJson) =>
  t.job_configuration.task_run_request.overrides.containerOverrides[0] as JsonObject;

const refusedNulls: ParityCase[] = (
  [
    ["auto_deregister_task_definition", "boolean"],
    ["match_latest_revision_in_family", "boolean"],
    ["network_configuration", "dictionary"],
    ["cloudwatch_logs_options", "dictionary"],
  ] as const
).map(([key, kind]) => ({
  name: `${key}: null is refused`,
  vars: (fx) => ({ ...base(fx), [key]: null }),
  fails: new RegExp(`${key}[\\s\\S]*Input should be a valid ${kind}`),
}));

export const EDGE_CASES: ParityCase[] = [
  {
    name: "match_latest_revision_in_family: an equal latest revision registered by hand is reused",
    vars: (fx, t) => ({ ...base(fx), family: matchFamily(fx, t), match_latest_revision_in_family: true }),
    explicitFamily: true,
    reuses: true,
  },
  {
    name: "match_latest_revision_in_family: a different latest revision → registered (then reused)",
    vars: (fx, t) => ({ ...base(fx), family: differsFamily(fx, t), match_latest_revision_in_family: true }),
    explicitFamily: true,
    secondReusesFirst: true,
  },
  {
    name: "customised template: a container override cpu given as a string is refused",
    template: (t) => {
      orchestrationOverride(t).cpu = "256";
    },
    vars: base,
    fails: /Invalid type for parameter overrides\.containerOverrides\[0\]\.cpu, value: 256/,
    refusedBy: "RunTask",
  },
  {
    name: "memory job variable given as a string is refused (container override)",
    vars: (fx) => ({ ...base(fx), memory: "1024" }),
    fails: /Invalid type for parameter overrides\.containerOverrides\[0\]\.memory, value: 1024/,
    refusedBy: "RunTask",
  },
  {
    name: "customised template: a container definition memoryReservation given as a string is refused",
    template: (t) => {
      (t.job_configuration.task_definition.containerDefinitions[0] as JsonObject).memoryReservation = "256";
    },
    vars: base,
    fails: /Invalid type for parameter containerDefinitions\[0\]\.memoryReservation, value: 256/,
    refusedBy: "RegisterTaskDefinition",
  },
  {
    name: "customised template: the cluster named only in task_run_request (pid: the cluster ARN)",
    template: (t, fx) => {
      t.job_configuration.task_run_request.cluster = fx.peers.cluster;
    },
    vars: () => ({ image: IMAGE }),
  },
  {
    name: "customised template: task_run_request's cluster differs from the `cluster` variable",
    template: (t, fx) => {
      t.job_configuration.task_run_request.cluster = fx.peers.cluster;
    },
    vars: () => ({ image: IMAGE, cluster: "default" }),
    pidClusterDiffers: true,
  },
  {
    name: 'customised template: the pool\'s `cluster` default saved as ""',
    template: (t) => {
      const cluster = t.variables.properties.cluster as JsonObject;
      cluster.default = "";
    },
    vars: () => ({ image: IMAGE }),
    emptyCluster: true,
    prefectFails: /cluster '' not found/,
  },
  ...refusedNulls,
  {
    name: "customised template: task_definition null beside a task_definition_arn is refused",
    template: (t) => {
      (t.job_configuration as JsonObject).task_definition = null;
    },
    vars: (fx) => ({ task_definition_arn: fx.linkedArn, cluster: fx.peers.cluster }),
    fails: /task_definition[\s\S]*Input should be a valid dictionary/,
  },
  {
    name: "a plain PREFECT_API_KEY in env while the key travels as a secret",
    templates: ["prefect-aws"], // the server's template does not map the secret ARNs
    vars: (fx) => ({
      ...base(fx),
      execution_role_arn: EXEC_ROLE,
      prefect_api_key_secret_arn: API_KEY_SECRET,
      env: { PREFECT_API_KEY: "pnu_from_job_variables", KEEP: "1" },
    }),
    apiKeyInEnv: "pnu_from_job_variables",
  },
  {
    name: "a family with characters ECS refuses",
    vars: (fx, t) => ({ ...base(fx), family: `${fx.peers.prefix}-${t} nightly.etl` }),
    explicitFamily: true,
    sanitizedFamily: true,
  },
  {
    name: "customised template: a sidecar container with its own override (dict env)",
    template: (t) => {
      t.job_configuration.task_definition.containerDefinitions.push({
        name: "sidecar",
        image: "public.ecr.aws/docker/library/busybox:1.36",
        memoryReservation: 64,
        essential: false,
      });
      t.job_configuration.task_run_request.overrides.containerOverrides.push({
        name: "sidecar",
        environment: { MODE: "relay" },
      });
    },
    vars: (fx) => ({ ...base(fx), env: { GREETING: "hi" } }),
  },
];
