/**
 * @module
 * The deploy parameters (serverless.yml `params:`, `--param="name=value"`), checked before
 * `osls package` or `osls deploy` builds anything: a placeholder or malformed value becomes one line
 * that names the parameter and the fix, and every problem is listed at once. config.cjs runs it on
 * the values osls resolved (so every way of setting a parameter is covered).
 */
import { z } from "zod";
import { scheduleProblem } from "./schedule.ts";

export const PARAMETERS = [
  "prefectApiUrl",
  "containerApiUrl",
  "pools",
  "ecsClusters",
  "ecsExecutionRoles",
  "ecsTaskRoles",
  "ecsTaskFamilyPrefixes",
  "ecsTaskLogGroups",
  "prefectApiKeySecret",
  "prefectAuthStringSecret",
  "webhookKeysSecret",
  "secretsKmsKeyArn",
  "logLevel",
  "crons",
] as const;
export type Parameters = Partial<Record<(typeof PARAMETERS)[number], unknown>>;

const text = (v: unknown) => (v === undefined || v === null ? "" : String(v).trim());
const list = (v: unknown) =>
  (Array.isArray(v) ? v.map(String) : text(v).split(",")).map((s) => s.trim()).filter(Boolean);

const ARN = "arn:aws[a-z-]*";
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const CLUSTER_ARN = new RegExp(`^${ARN}:ecs:[a-z0-9-]+:\\d{12}:cluster/[A-Za-z0-9_-]{1,255}$`);
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_ARN = new RegExp(`^${ARN}:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$`);
const SECRET_ARN = new RegExp(`^${ARN}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[\\w/+=.@-]+$`);
const SECRET_SUFFIX = /-[A-Za-z0-9]{6}$/;
const SSM_ARN = new RegExp(`^${ARN}:ssm:[a-z0-9-]+:\\d{12}:parameter/[\\w./-]+$`);
const SSM_NAME = /^(\/[\w./-]{1,2047}|[\w.-]{1,2048})$/;
const KMS_KEY_ARN = new RegExp(`^${ARN}:kms:[a-z0-9-]+:\\d{12}:key/[\\w-]+$`);
const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLOUD_WORKSPACE = /^\/api\/accounts\/[0-9a-f-]{36}\/workspaces\/[0-9a-f-]{36}\/?$/i;
const PLACEHOLDER_HOST = /(^|\.)(invalid|example|example\.(com|net|org))$/i;
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)$/i;

/** The problem with a Prefect API URL, or null. `where` says who must reach it. */
function apiUrlProblem(param: string, value: string, where: string): string | null {
  const fix = `pass --param="${param}=https://<your Prefect server>/api"`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `'${value}' is not a URL; ${fix}`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `'${value}' is not http(s); ${fix}`;
  if (url.username || url.password)
    return "holds credentials; remove them and store the auth string in a secret (prefectAuthStringSecret)";
  if (/[<>]/.test(value) || PLACEHOLDER_HOST.test(url.hostname)) return `'${value}' is a placeholder; ${fix}`;
  if (LOOPBACK_HOST.test(url.hostname))
    return `'${value}' is a loopback address: ${where} would reach itself, not your server; use an address ${where} reaches`;
  if (!/\/api\/?$/.test(url.pathname) && !CLOUD_WORKSPACE.test(url.pathname))
    return `'${value}' does not end in /api: a server is https://<host>/api, Prefect Cloud is https://api.prefect.cloud/api/accounts/<account id>/workspaces/<workspace id>`;
  return null;
}

function secretProblem(value: string): string | null {
  if (/^(pnu|pnb)_/.test(value) || /\s/.test(value))
    return "looks like the secret itself, not where it is stored; put it in Secrets Manager and pass the secret's full ARN";
  if (SECRET_ARN.test(value)) {
    if (SECRET_SUFFIX.test(value)) return null;
    return `'${value}' lacks the secret's 6-character suffix (…-AbCdEf); copy the full ARN: aws secretsmanager describe-secret --secret-id <name> --query ARN`;
  }
  if (SSM_ARN.test(value) || (SSM_NAME.test(value) && !value.startsWith("arn:"))) return null;
  if (/^[\w.-]+(\/[\w.-]+)+$/.test(value))
    return `'${value}' is neither an SSM parameter name (a path starts with /) nor an ARN; a Secrets Manager secret needs its full ARN: aws secretsmanager describe-secret --secret-id ${value} --query ARN`;
  return `'${value}' is not a Secrets Manager secret ARN, an SSM parameter ARN or an SSM parameter name`;
}

/** Each item of a comma-separated list that `valid` refuses → one problem. */
function eachItem(values: string[], valid: (v: string) => boolean, what: string): string[] {
  return values.filter((v) => !valid(v)).map((v) => `'${v}' is not ${what}`);
}

const POOL_NAME = /^[^/%&<>]+$/;

/** Problems of one parameter (its name is added by checkParameters). */
const RULES: { [K in (typeof PARAMETERS)[number]]: (v: unknown) => string[] } = {
  prefectApiUrl: (v) => {
    const url = text(v);
    if (!url) return ['not set; pass --param="prefectApiUrl=https://<your Prefect server>/api"'];
    const p = apiUrlProblem("prefectApiUrl", url, "a Lambda function");
    return p ? [p] : [];
  },
  containerApiUrl: (v) => {
    const url = text(v);
    const p = url ? apiUrlProblem("containerApiUrl", url, "an ECS task") : null;
    return p ? [p] : [];
  },
  pools: (v) => {
    const pools = list(v);
    if (pools.length === 0)
      return ['empty; pass --param="pools=<work pool>[,<work pool>…]", the ecs pools this stack serves'];
    return eachItem(pools, (p) => POOL_NAME.test(p), "a work pool name (Prefect refuses / % & < >)");
  },
  ecsClusters: (v) => {
    const clusters = list(v);
    if (clusters.length === 0)
      return ['empty; pass at least one ECS cluster name or ARN, e.g. --param="ecsClusters=default"'];
    return eachItem(
      clusters,
      (c) => CLUSTER_NAME.test(c) || CLUSTER_ARN.test(c),
      "a cluster name (letters, digits, - _) or an ECS cluster ARN (arn:aws:ecs:<region>:<account>:cluster/<name>)",
    );
  },
  ecsExecutionRoles: (v) => roles(v),
  ecsTaskRoles: (v) => roles(v),
  ecsTaskFamilyPrefixes: (v) =>
    eachItem(list(v), (f) => CLUSTER_NAME.test(f), "a task-definition family prefix (letters, digits, - _)"),
  ecsTaskLogGroups: (v) =>
    eachItem(list(v), (g) => /^[\w./#-]{1,512}$/.test(g), "a CloudWatch log group name"),
  prefectApiKeySecret: (v) => optional(v, secretProblem),
  prefectAuthStringSecret: (v) => optional(v, secretProblem),
  webhookKeysSecret: (v) => optional(v, secretProblem),
  secretsKmsKeyArn: (v) =>
    optional(v, (k) =>
      KMS_KEY_ARN.test(k)
        ? null
        : `'${k}' is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)`,
    ),
  logLevel: (v) =>
    optional(v, (l) =>
      LOG_LEVELS.includes(l.toUpperCase()) ? null : `'${l}' is not one of ${LOG_LEVELS.join(", ")}`,
    ),
  crons: (v) => cronProblems(v),
};

function roles(v: unknown): string[] {
  return eachItem(
    list(v),
    (r) => ROLE_NAME.test(r) || ROLE_ARN.test(r),
    "an IAM role name or role ARN (arn:aws:iam::<account>:role/<name>)",
  );
}

function optional(v: unknown, problem: (value: string) => string | null): string[] {
  const value = text(v);
  const p = value ? problem(value) : null;
  return p ? [p] : [];
}

// ---- crons ---------------------------------------------------------------------------------------
const CRON_FIELDS = [
  "name",
  "schedule",
  "deployment",
  "parameters",
  "jobVariables",
  "timezone",
  "enabled",
  "description",
];
const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};
const required = (what: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? `missing; ${what}` : `must be ${what}`),
});
const object = z.record(z.string(), z.unknown(), { error: "must be an object" });
const cronEntry = z.strictObject(
  {
    name: z
      .string(required("a name"))
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
        "must be 1-64 characters of A-Z a-z 0-9 _ - (not starting with _ -)",
      ),
    schedule: z.string(required("cron(…), rate(…) or at(…)")).check((ctx) => {
      const problem = scheduleProblem(ctx.value);
      if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
    }),
    deployment: z
      .string(required("'flow-name/deployment-name' or a deployment id"))
      .refine(
        (d) => UUID.test(d) || /^[^/]+\/[^/]+$/.test(d),
        "must be 'flow-name/deployment-name' or a deployment id",
      ),
    parameters: object.optional(),
    jobVariables: object.optional(),
    timezone: z
      .string(required("an IANA time zone"))
      .refine(isTimeZone, "is not an IANA time zone (e.g. Europe/Paris)")
      .optional(),
    enabled: z.boolean({ error: "must be true or false" }).optional(),
    description: z.string({ error: "must be a string" }).max(512, "is longer than 512 characters").optional(),
  },
  { error: `has an unknown field; allowed: ${CRON_FIELDS.join(", ")}` },
);

const pascal = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join("");

function cronProblems(value: unknown): string[] {
  let entries = value;
  if (entries === undefined || entries === null || entries === "") return [];
  if (typeof entries === "string") {
    try {
      entries = JSON.parse(entries);
    } catch {
      return [
        `is not JSON; pass a JSON array, e.g. --param='crons=[{"name":"nightly","schedule":"cron(0 3 * * ? *)","deployment":"etl/nightly"}]'`,
      ];
    }
  }
  if (!Array.isArray(entries)) return ["must be a list of {name, schedule, deployment, …}"];
  const out: string[] = [];
  const seen = new Map<string, string>();
  entries.forEach((entry, i) => {
    const parsed = cronEntry.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.length ? `.${issue.path.map(String).join(".")}` : "";
        const message =
          issue.code === "unrecognized_keys"
            ? `${issue.message} (got ${issue.keys.join(", ")})`
            : issue.message;
        out.push(`[${i}]${field}: ${message}`);
      }
      return;
    }
    const logicalId = pascal(parsed.data.name);
    const other = seen.get(logicalId);
    if (other !== undefined)
      out.push(`[${i}].name: '${parsed.data.name}' collides with '${other}' (same schedule resource)`);
    else seen.set(logicalId, parsed.data.name);
  });
  return out;
}

/** Every problem of the parameters, one line each: `<parameter>: <what is wrong; the fix>`. */
export function checkParameters(p: Parameters): string[] {
  return PARAMETERS.flatMap((name) =>
    RULES[name](p[name]).map((problem) => `${name}${problem.startsWith("[") ? "" : ": "}${problem}`),
  );
}

/** What the terminal shows when checkParameters found problems. */
export function report(problems: string[]): string {
  const n = problems.length;
  return `pushpool: ${n} deploy parameter${n === 1 ? "" : "s"} to fix (nothing was packaged or deployed):\n${problems.map((p) => `  ${p}`).join("\n")}\n`;
}
