// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform expressions (`${var.x}`), not JavaScript templates.
/**
 * infra/gcp, parsed (bc-python-hcl2 from .venv-iac/) and checked against what the functions read
 * (functions/gcp/env.ts) and against the deployment's promises: secrets only as Secret Manager
 * references, a dead letter for every queue and topic, OIDC on every scheduler and push, invokers
 * only where they belong, no basic roles, Service Account User only on the pools' job accounts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CronBody } from "../../functions/gcp/cron.ts";
import { GCP_COMMON_ENV, GCP_FUNCTION_ENV } from "../../functions/gcp/env.ts";
import {
  attr,
  type Body,
  block,
  dataSource,
  mergedKeys,
  one,
  readTerraform,
  resource,
  type TerraformModel,
  terraformText,
} from "./hcl.ts";

const SECRET_NAMES = new Set([
  "PREFECT_API_KEY",
  "PREFECT_API_AUTH_STRING",
  "PUSHPOOL_WEBHOOK_KEYS",
  "PUSHPOOL_WEBHOOK_SECRET",
]);
const FUNCTIONS = Object.keys(GCP_FUNCTION_ENV) as (keyof typeof GCP_FUNCTION_ENV)[];

let tf: TerraformModel;
let functions: Record<string, Body>;
let text: string;

beforeAll(async () => {
  tf = await readTerraform("infra/gcp");
  functions = tf.locals.functions as Record<string, Body>;
  text = await terraformText("infra/gcp");
}, 60_000);

describe("infra/gcp: the functions' environment", () => {
  it("declares exactly the five functions of functions/gcp/env.ts, each with its own entry point", () => {
    expect(Object.keys(functions).sort()).toEqual([...FUNCTIONS].sort());
    const fn = resource(tf, "google_cloudfunctions2_function", "fn");
    expect(attr(fn, "for_each")).toBe("${local.functions}");
    const build = block(fn, "build_config");
    expect(attr(build, "entry_point")).toBe("${each.key}");
    expect(attr(build, "runtime")).toBe("nodejs22");
    // One package, `npm run package:gcp`'s .build/gcp, for all five.
    const storage = block(block(build, "source"), "storage_source");
    expect(attr(storage, "object")).toBe("${google_storage_bucket_object.source.name}");
    expect(attr(dataSource(tf, "archive_file", "source"), "source_dir")).toBe("${var.source_dir}");
    expect(attr(tf.variables.source_dir as Body, "default")).toBe("../../.build/gcp");
  });

  it.each(FUNCTIONS)("%s gets every variable its env.ts list names, and nothing else", (name) => {
    const plain = mergedKeys(tf, functions[name]?.env);
    const secret = mergedKeys(tf, functions[name]?.secret_env);
    const given = new Set([...plain.keys(), ...secret.keys()]);
    const wanted = new Set<string>([...GCP_COMMON_ENV, ...GCP_FUNCTION_ENV[name]]);
    expect([...given].sort()).toEqual([...wanted].sort());
    for (const key of plain.keys()) expect(secret.has(key), `${key} both plain and secret`).toBe(false);
  });

  it.each(FUNCTIONS)(
    "%s gets its secrets only as Secret Manager references, never as plain values",
    (name) => {
      const plain = mergedKeys(tf, functions[name]?.env);
      const secret = mergedKeys(tf, functions[name]?.secret_env);
      for (const key of plain.keys()) expect(SECRET_NAMES.has(key), `${key} is plain text`).toBe(false);
      for (const [key, value] of secret) {
        expect(SECRET_NAMES.has(key), `${key} is not a secret`).toBe(true);
        // The value is a secret *id* from a variable (the secret's value never passes through Terraform).
        expect(String(value)).toMatch(
          /var\.(prefect_api_key_secret|prefect_auth_string_secret|webhook_keys_secret)\b/,
        );
      }
    },
  );

  it("wires env and secret_env into the function (secrets via secret_environment_variables, latest version)", () => {
    const service = block(resource(tf, "google_cloudfunctions2_function", "fn"), "service_config");
    expect(attr(service, "environment_variables")).toBe("${each.value.env}");
    const dynamic = one<Body>(attr<Body>(service, "dynamic"));
    const secrets = one<Body>(dynamic.secret_environment_variables);
    expect(attr(secrets, "for_each")).toContain("each.value.secret_env");
    const content = block(secrets, "content");
    expect(attr(content, "key")).toBe("${secret_environment_variables.key}");
    expect(attr(content, "secret")).toBe("${secret_environment_variables.value}");
    expect(attr(content, "version")).toBe("latest");
    expect(text).not.toContain("google_secret_manager_secret_version");
  });

  it("only the webhook takes traffic from outside the project", () => {
    const service = block(resource(tf, "google_cloudfunctions2_function", "fn"), "service_config");
    expect(attr(service, "ingress_settings")).toBe("${each.value.ingress}");
    for (const name of FUNCTIONS) {
      expect(functions[name]?.ingress, name).toBe(name === "webhook" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY");
    }
  });
});

describe("infra/gcp: queues, topics and their dead letters", () => {
  it("the Cloud Tasks queue retries a bounded number of times, and dispatch dead-letters the last attempt", () => {
    const queue = resource(tf, "google_cloud_tasks_queue", "dispatch");
    expect(attr(block(queue, "retry_config"), "max_attempts")).toBe("${var.tasks_max_attempts}");
    // Every task goes to dispatch over HTTPS with the tasks account's OIDC token.
    const target = block(queue, "http_target");
    const uri = block(target, "uri_override");
    expect(attr(uri, "scheme")).toBe("HTTPS");
    expect(attr(uri, "uri_override_enforce_mode")).toBe("ALWAYS");
    expect(`https://${attr(uri, "host")}${attr(block(uri, "path_override"), "path")}`).toBe(
      tf.locals.dispatch_url,
    );
    const oidc = block(target, "oidc_token");
    expect(attr(oidc, "service_account_email")).toBe("${google_service_account.tasks_invoker.email}");
    expect(attr(oidc, "audience")).toBe("${local.dispatch_url}");
    const dispatchEnv = mergedKeys(tf, functions.dispatch?.env);
    expect(dispatchEnv.get("PUSHPOOL_TASKS_MAX_ATTEMPTS")).toBe("${tostring(var.tasks_max_attempts)}");
    expect(dispatchEnv.get("PUSHPOOL_DEAD_LETTER_TOPIC")).toBe(
      "${google_pubsub_topic.dispatch_dead_letter.id}",
    );
    const maxAttempts = tf.variables.tasks_max_attempts as Body;
    expect(attr<number>(maxAttempts, "default")).toBeGreaterThan(1);
    expect(String(attr(block(maxAttempts, "validation"), "condition"))).toMatch(/>= 2/);
    // dispatch may publish there.
    const publisher = resource(tf, "google_pubsub_topic_iam_member", "dispatch_dead_letter_publisher");
    expect(attr(publisher, "member")).toContain(
      'google_service_account.fn[\\"dispatch\\"]'.replace(/\\/g, ""),
    );
  });

  it("every topic is a dead-letter topic kept by a subscription, or has a subscription that dead-letters", () => {
    const topics = Object.keys(tf.resources.google_pubsub_topic ?? {});
    const subscriptions = Object.values(tf.resources.google_pubsub_subscription ?? {});
    expect(topics.length).toBeGreaterThanOrEqual(3);
    for (const topic of topics) {
      const ref = `\${google_pubsub_topic.${topic}.id}`;
      const subs = subscriptions.filter((s) => attr(s, "topic") === ref);
      expect(subs.length, `${topic} has no subscription`).toBeGreaterThan(0);
      if (topic.endsWith("dead_letter")) {
        expect(
          subs.some(
            (s) =>
              attr(s, "retain_acked_messages") === true &&
              attr(s, "message_retention_duration") === "604800s",
          ),
        ).toBe(true);
      } else {
        for (const sub of subs) {
          const policy = block(sub, "dead_letter_policy");
          expect(attr(policy, "dead_letter_topic")).toBe(`\${google_pubsub_topic.${topic}_dead_letter.id}`);
          expect(attr<number>(policy, "max_delivery_attempts")).toBeGreaterThan(0);
        }
      }
    }
  });
});

describe("infra/gcp: invocations", () => {
  it("every scheduler job calls its function over HTTPS with an OIDC token of the scheduler account", () => {
    const jobs = Object.entries(tf.resources.google_cloud_scheduler_job ?? {});
    expect(jobs.map(([n]) => n).sort()).toEqual(["cron", "tick"]);
    for (const [name, job] of jobs) {
      const target = block(job, "http_target");
      expect(attr(target, "uri")).toBe(
        `\${google_cloudfunctions2_function.fn["${name}"].service_config[0].uri}`,
      );
      const oidc = block(target, "oidc_token");
      expect(attr(oidc, "service_account_email")).toBe("${google_service_account.scheduler_invoker.email}");
      expect(attr(oidc, "audience")).toBe(attr(target, "uri"));
    }
    expect(attr(resource(tf, "google_cloud_scheduler_job", "tick"), "schedule")).toBe("* * * * *");
    expect(attr(resource(tf, "google_cloud_scheduler_job", "cron"), "for_each")).toBe("${var.crons}");
  });

  it("each cron job's body is one the cron function accepts", () => {
    const body = String(
      attr(block(resource(tf, "google_cloud_scheduler_job", "cron"), "http_target"), "body"),
    );
    // python-hcl2 prints the object as `{'name': '${each.key}', …}`.
    const keys = [...body.matchAll(/'(\w+)':/g)].map((m) => m[1] ?? "");
    expect(keys).toContain("deployment");
    const sample: Record<string, unknown> = { name: "nightly", deployment: "etl/nightly", parameters: {} };
    const sent = Object.fromEntries(keys.map((k) => [k, sample[k] ?? `unexpected key ${k}`]));
    expect(CronBody.safeParse(sent).success).toBe(true);
  });

  it("the events push subscription authenticates with OIDC", () => {
    const push = block(resource(tf, "google_pubsub_subscription", "infrastructure_events"), "push_config");
    // The topic in the path: the functions framework makes the CloudEvent's source from it.
    expect(attr(push, "push_endpoint")).toBe(
      '${google_cloudfunctions2_function.fn["events"].service_config[0].uri}/${google_pubsub_topic.infrastructure_events.id}',
    );
    expect(attr(block(push, "oidc_token"), "service_account_email")).toBe(
      "${google_service_account.pubsub_invoker.email}",
    );
  });

  it("run.invoker: tasks → dispatch, scheduler → tick and cron, Pub/Sub → events, everyone → webhook only", () => {
    const invokers = tf.locals.invokers as Record<string, string>;
    expect(invokers).toEqual({
      dispatch: "serviceAccount:${google_service_account.tasks_invoker.email}",
      tick: "serviceAccount:${google_service_account.scheduler_invoker.email}",
      cron: "serviceAccount:${google_service_account.scheduler_invoker.email}",
      events: "serviceAccount:${google_service_account.pubsub_invoker.email}",
    });
    const pub = resource(tf, "google_cloud_run_v2_service_iam_member", "webhook_public");
    expect(attr(pub, "member")).toBe("allUsers");
    expect(attr(pub, "name")).toContain('fn["webhook"]');
    expect(text.match(/allUsers|allAuthenticatedUsers/g)).toHaveLength(1);
  });
});

describe("infra/gcp: least privilege", () => {
  it("grants no basic role and no predefined role at project level", () => {
    expect(text).not.toMatch(/roles\/(owner|editor|viewer)\b/);
    for (const member of Object.values(tf.resources.google_project_iam_member ?? {})) {
      expect(attr(member, "role")).toBe("${each.value.role}");
    }
    const roles = Object.values(tf.locals.project_roles as Record<string, Body>).map((r) => String(r.role));
    for (const role of roles)
      expect(role).toMatch(/^\$\{google_project_iam_custom_role\.(jobs|jobs_read)\.id\}$/);
    // Jobs are started only by dispatch and tick; events only reads.
    const byFn = Object.values(tf.locals.project_roles as Record<string, Body>).map(
      (r) => `${r.fn}:${r.role}`,
    );
    expect(byFn.sort()).toEqual([
      "dispatch:${google_project_iam_custom_role.jobs.id}",
      "events:${google_project_iam_custom_role.jobs_read.id}",
      "tick:${google_project_iam_custom_role.jobs.id}",
    ]);
    const read = attr<string[]>(resource(tf, "google_project_iam_custom_role", "jobs_read"), "permissions");
    for (const p of read) expect(p).toMatch(/\.(get|list)$/);
  });

  it("Service Account User only on the job service accounts the variable names", () => {
    const users = Object.entries(tf.resources.google_service_account_iam_member ?? {}).filter(
      ([, b]) => attr(b, "role") === "roles/iam.serviceAccountUser",
    );
    expect(users.map(([n]) => n)).toEqual(["job_service_account_user"]);
    const grant = users[0]?.[1];
    expect(attr(grant, "for_each")).toBe("${local.job_sa_grants}");
    expect(attr(grant, "service_account_id")).toBe(
      "projects/${var.project}/serviceAccounts/${each.value.sa}",
    );
    expect(String(tf.locals.job_sa_grants)).toContain("var.job_service_accounts");
    expect(text.match(/roles\/iam\.serviceAccountUser/g)).toHaveLength(1);
  });

  it("pins the google provider to one version", () => {
    const providers = one<Body>(attr<Body>(tf.terraform[0], "required_providers"));
    for (const name of ["google", "archive"]) {
      expect(one<Body>(providers[name]).version, name).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });
});
