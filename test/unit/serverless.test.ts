/**
 * serverless.yml, checked offline: `osls package` (serverless-esbuild) runs once with a full set of
 * parameters, then the generated CloudFormation is asserted (resources, event source mappings,
 * least-privilege IAM, cron schedules), linted with cfn-lint, and each function zip is weighed.
 * `osls print` checks that the defaults alone resolve (package needs no configuration).
 *
 * Needs the AWS handlers (functions/aws/{dispatch,events,tick,webhook}.ts) and `cfn-lint` in .venv/ (functions/local/requirements.txt);
 * a missing one is a failure with a clear message, never a skip.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseQueueMessage } from "../../core/runtime/messages.ts";
import { VENV_BIN } from "../../functions/local/prefectServer.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const OSLS = join(ROOT, "node_modules/osls/bin/serverless.js");
const FUNCTIONS = ["dispatch", "events", "tick", "webhook"] as const;
const MAX_ZIP_BYTES = 1_048_576;

// ---- the deploy parameters under test ------------------------------------------------------------
const ACCOUNT = "111122223333";
const CLUSTERS = [
  `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/flows`,
  `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/gpu`,
];
const EXECUTION_ROLE = `arn:aws:iam::${ACCOUNT}:role/pushpool-exec`;
const TASK_ROLES = [`arn:aws:iam::${ACCOUNT}:role/flow-runtime`, `arn:aws:iam::${ACCOUNT}:role/flow-gpu`];
const API_KEY_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prefect-api-key-AbCdEf`;
const AUTH_STRING_PARAMETER = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/pushpool/auth-string`;
const WEBHOOK_PARAMETER = "/pushpool/webhook-keys";
const CRONS = [
  {
    name: "nightly",
    schedule: "cron(0 3 * * ? *)",
    deployment: "etl/nightly",
    parameters: { full: true, days: 7 },
    timezone: "Europe/Paris",
  },
  { name: "hourly-sync", schedule: "rate(1 hour)", deployment: "sync/main" },
];
const PARAMS: Record<string, string> = {
  prefectApiUrl: "https://prefect.acme.internal/api",
  pools: "ecs-a,ecs-b",
  ecsClusters: CLUSTERS.join(","),
  ecsExecutionRoles: EXECUTION_ROLE,
  ecsTaskRoles: TASK_ROLES.join(","),
  ecsTaskFamilyPrefixes: "prefect_",
  prefectApiKeySecret: API_KEY_SECRET,
  prefectAuthStringSecret: AUTH_STRING_PARAMETER,
  webhookKeysSecret: WEBHOOK_PARAMETER,
  crons: JSON.stringify(CRONS),
};

/**
 * cfn-lint findings judged acceptable:
 * - W3005: osls itself adds `DependsOn: <Role>` to each function although `Role` is a GetAtt of the
 *   same role; redundant, harmless, and not ours to change.
 */
const ACCEPTED_CFN_LINT_RULES = new Set(["W3005"]);

/** Actions AWS IAM offers no resource-level permissions for: their Resource must be "*". */
const STAR_RESOURCE_ACTIONS = new Set([
  "ecs:RegisterTaskDefinition",
  "ecs:DescribeTaskDefinition",
  "ecs:DeregisterTaskDefinition",
  "ecs:ListTaskDefinitions",
  "ec2:DescribeVpcs",
  "ec2:DescribeSubnets",
  // ListTasks is scoped by its ecs:cluster condition (asserted below), not by resource ARN.
  "ecs:ListTasks",
]);

// ---- template access --------------------------------------------------------------------------------
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
interface Resource {
  Type: string;
  Properties: Obj;
  DependsOn?: string | string[];
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Obj;
}
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Obj;
}

const obj = (v: Json | undefined): Obj => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`not an object: ${str(v)}`);
  return v;
};
const arr = (v: Json | undefined): Json[] => {
  if (!Array.isArray(v)) throw new Error(`not an array: ${str(v)}`);
  return v;
};
const str = (v: unknown) => JSON.stringify(v);
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const getAtt = (resource: string, attribute = "Arn") => ({ "Fn::GetAtt": [resource, attribute] });
const subArn = (s: string) => ({ "Fn::Sub": s });

let outDir = "";
let template: Template;
let printed: { resources: Json; provider: Obj; custom: Obj };

function resource(logicalId: string, type?: string): Resource {
  const r = template.Resources[logicalId];
  if (!r)
    throw new Error(`resource ${logicalId} missing; have: ${Object.keys(template.Resources).join(", ")}`);
  if (type) expect(r.Type, logicalId).toBe(type);
  return r;
}

function ofType(type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

function statementsOf(roleLogicalId: string): Statement[] {
  const policies = arr(resource(roleLogicalId, "AWS::IAM::Role").Properties.Policies);
  return policies.flatMap((p) => arr(obj(obj(p).PolicyDocument).Statement) as unknown as Statement[]);
}

/** Every identity-policy statement in the template: roles' inline policies and standalone policies. */
function allStatements(): { owner: string; statement: Statement }[] {
  const out: { owner: string; statement: Statement }[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === "AWS::IAM::Role") for (const s of statementsOf(id)) out.push({ owner: id, statement: s });
    if (r.Type === "AWS::IAM::Policy" || r.Type === "AWS::IAM::ManagedPolicy")
      for (const s of arr(obj(r.Properties.PolicyDocument).Statement))
        out.push({ owner: id, statement: s as unknown as Statement });
  }
  return out;
}

function withAction(statements: Statement[], action: string): Statement[] {
  return statements.filter((s) => asList(s.Action).includes(action));
}

function actionsOf(statements: Statement[]): Set<string> {
  return new Set(statements.flatMap((s) => asList(s.Action)));
}

/** Entries of a zip file (name, uncompressed size), from its central directory (no dependency needed). */
function zipEntries(zip: Buffer): { name: string; size: number }[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("not a zip file");
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const names: { name: string; size: number }[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error("bad zip central directory");
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    names.push({
      name: zip.toString("utf8", at + 46, at + 46 + nameLength),
      size: zip.readUInt32LE(at + 24),
    });
    at += 46 + nameLength + extra + comment;
  }
  return names;
}

const oslsEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: "x",
  AWS_SECRET_ACCESS_KEY: "x",
  AWS_SESSION_TOKEN: "",
  AWS_PROFILE: "",
  SLS_TELEMETRY_DISABLED: "1",
  SLS_NOTIFICATIONS_MODE: "off",
};

async function osls(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(
      process.execPath,
      [OSLS, ...args, "--stage", "test", "--region", "us-east-1"],
      {
        cwd: ROOT,
        env: oslsEnv,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`osls ${args[0]} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

beforeAll(async () => {
  const missing = FUNCTIONS.filter((f) => !existsSync(join(ROOT, `functions/aws/${f}.ts`)));
  if (missing.length)
    throw new Error(`handler files missing: ${missing.map((f) => `functions/aws/${f}.ts`).join(", ")}`);
  outDir = await mkdtemp(join(tmpdir(), "pushpool-sls-"));
  const params = Object.entries(PARAMS).map(([k, v]) => `--param=${k}=${v}`);
  const [, print] = await Promise.all([
    osls(["package", "--package", outDir, ...params]),
    // No parameters at all: the defaults must resolve (and validate) on their own.
    osls(["print", "--format", "json"]),
  ]);
  template = JSON.parse(await readFile(join(outDir, "cloudformation-template-update-stack.json"), "utf8"));
  printed = JSON.parse(print);
}, 240_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe("osls package: bundles", () => {
  it.each(FUNCTIONS)(
    "%s.zip holds only its bundle (entry ≤ 1 MB + lazy chunks), at most 1 MB zipped",
    async (fn) => {
      const zipPath = join(outDir, `${fn}.zip`);
      const { size } = await stat(zipPath);
      expect(size).toBeGreaterThan(1000);
      expect(size).toBeLessThanOrEqual(MAX_ZIP_BYTES);
      const entries = zipEntries(await readFile(zipPath));
      const entry = entries.find((e) => e.name === `functions/aws/${fn}.mjs`);
      expect(entry?.size).toBeGreaterThan(1000);
      expect(entry?.size).toBeLessThanOrEqual(MAX_ZIP_BYTES); // what a cold start loads
      for (const { name } of entries)
        expect(name).toMatch(new RegExp(`^functions/aws/(${fn}|chunks/[\\w-]+)\\.mjs$`));
    },
  );
});

describe("osls package: lazy chunks", () => {
  it("the dispatcher's EC2 chunk (network discovery) holds only the commands it sends", async () => {
    const entries = zipEntries(await readFile(join(outDir, "dispatch.zip")));
    const ec2 = entries.filter((e) => /^functions\/aws\/chunks\/ec2Commands-[\w-]+\.mjs$/.test(e.name));
    expect(ec2).toHaveLength(1);
    // The whole client, `await import("@aws-sdk/client-ec2")`, made a 1.1 MB chunk to parse and
    // compile on the cold start that first discovers a network; named imports keep about half.
    expect(ec2[0]?.size).toBeLessThanOrEqual(650_000);
    expect(ec2[0]?.size).toBeGreaterThan(10_000);
  });
});

describe("osls package: functions", () => {
  it.each(FUNCTIONS)("%s runs on nodejs22.x / arm64 with its own role", (fn) => {
    const Fn = fn[0]!.toUpperCase() + fn.slice(1);
    const props = resource(`${Fn}LambdaFunction`, "AWS::Lambda::Function").Properties;
    expect(props.Runtime).toBe("nodejs22.x");
    expect(props.Architectures).toEqual(["arm64"]);
    expect(props.Handler).toBe(`functions/aws/${fn}.handler`);
    expect(props.Role).toEqual(getAtt(`${Fn}Role`));
  });

  it("gives every function the settings and secret references, never secret values", () => {
    const envOf = (fn: string) =>
      obj(obj(resource(`${fn}LambdaFunction`).Properties.Environment).Variables) as Record<string, Json>;
    for (const fn of ["Dispatch", "Events", "Tick", "Webhook"]) {
      const env = envOf(fn);
      expect(env).toMatchObject({
        PREFECT_API_URL: PARAMS.prefectApiUrl,
        PUSHPOOL_POOLS: "ecs-a,ecs-b",
        PUSHPOOL_QUEUE_URL: { Ref: "DispatchQueue" },
        PUSHPOOL_TICK_SECONDS: "60",
        PUSHPOOL_ECS_CLUSTER: CLUSTERS[0],
        PUSHPOOL_ECS_CLUSTERS: { "Fn::Join": [",", CLUSTERS] },
        PUSHPOOL_PREFECT_API_KEY_SECRET_ARN: API_KEY_SECRET,
        PUSHPOOL_PREFECT_AUTH_STRING_SSM_PARAMETER: AUTH_STRING_PARAMETER,
      });
      expect(
        Object.keys(env).filter((k) =>
          /^(PREFECT_API_KEY|PREFECT_API_AUTH_STRING|PUSHPOOL_WEBHOOK_(SECRET|KEYS))$/.test(k),
        ),
      ).toEqual([]);
      if (fn === "Webhook") expect(env.PUSHPOOL_WEBHOOK_KEYS_SSM_PARAMETER).toBe(WEBHOOK_PARAMETER);
      else expect(env).not.toHaveProperty("PUSHPOOL_WEBHOOK_KEYS_SSM_PARAMETER");
    }
  });

  it("serves the webhook on a Function URL with AuthType NONE (the function checks the HMAC)", () => {
    const url = ofType("AWS::Lambda::Url");
    expect(url).toHaveLength(1);
    expect(url[0]![1].Properties).toMatchObject({
      AuthType: "NONE",
      TargetFunctionArn: getAtt("WebhookLambdaFunction"),
    });
    const permissions = ofType("AWS::Lambda::Permission")
      .map(([, r]) => r.Properties)
      .filter((p) => str(p.FunctionName) === str(getAtt("WebhookLambdaFunction")));
    // Since October 2025 a public Function URL needs both permissions.
    expect(permissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: "lambda:InvokeFunctionUrl",
          Principal: "*",
          FunctionUrlAuthType: "NONE",
        }),
        expect.objectContaining({
          Action: "lambda:InvokeFunction",
          Principal: "*",
          InvokedViaFunctionUrl: true,
        }),
      ]),
    );
  });

  it("ticks every minute through an EventBridge schedule", () => {
    const rules = ofType("AWS::Events::Rule").filter(
      ([, r]) => r.Properties.ScheduleExpression !== undefined,
    );
    expect(rules).toHaveLength(1);
    const props = rules[0]![1].Properties;
    expect(props.ScheduleExpression).toBe("rate(1 minute)");
    expect(arr(props.Targets).map((t) => obj(t).Arn)).toEqual([getAtt("TickLambdaFunction")]);
  });
});

describe("osls package: queues and event sources", () => {
  const mappings = () =>
    Object.fromEntries(
      ofType("AWS::Lambda::EventSourceMapping").map(([, r]) => [
        str(r.Properties.FunctionName),
        r.Properties,
      ]),
    );

  it.each([
    ["Dispatch", "DispatchQueue"],
    ["Events", "EcsEventsQueue"],
  ])("%s consumes %s in batches of 10 with partial batch failures", (fn, queue) => {
    const m = mappings()[str(getAtt(`${fn}LambdaFunction`))];
    expect(m, `${fn} event source mapping`).toBeDefined();
    expect(m).toMatchObject({
      EventSourceArn: getAtt(queue),
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      Enabled: true,
    });
    expect(m!.MaximumBatchingWindowInSeconds).toBeGreaterThanOrEqual(0);
    expect(m!.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(5);
  });

  it("has exactly two event source mappings", () => {
    expect(ofType("AWS::Lambda::EventSourceMapping")).toHaveLength(2);
  });

  it.each([
    ["DispatchQueue", "DispatchDLQ", "Dispatch"],
    ["EcsEventsQueue", "EcsEventsDLQ", "Events"],
  ])("%s dead-letters to %s after 5 receives and outlasts its consumer", (queue, dlq, fn) => {
    const q = resource(queue, "AWS::SQS::Queue").Properties;
    resource(dlq, "AWS::SQS::Queue");
    expect(q.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt(dlq), maxReceiveCount: 5 });
    const timeout = Number(resource(`${fn}LambdaFunction`).Properties.Timeout);
    const window = Number(mappings()[str(getAtt(`${fn}LambdaFunction`))]!.MaximumBatchingWindowInSeconds);
    // AWS's guidance for SQS event sources: visibility ≥ 6 × function timeout (+ batching window).
    expect(Number(q.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * timeout + window);
    expect(q.SqsManagedSseEnabled).toBe(true);
    expect(resource(dlq).Properties.MessageRetentionPeriod).toBe(1_209_600);
  });

  it("routes state changes of pushpool's ECS tasks in the configured clusters only to the events queue", () => {
    const props = resource("EcsTaskEventsRule", "AWS::Events::Rule").Properties;
    expect(props.EventPattern).toEqual({
      source: ["aws.ecs"],
      "detail-type": ["ECS Task State Change"],
      detail: { clusterArn: CLUSTERS, startedBy: [{ prefix: "pushpool/" }] },
    });
    expect(props.State).toBe("ENABLED");
    const targets = arr(props.Targets).map(obj);
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      Arn: getAtt("EcsEventsQueue"),
      DeadLetterConfig: { Arn: getAtt("EcsEventsDLQ") },
    });
  });

  it("lets only EventBridge, for this rule, send to the events queues", () => {
    const policies = ofType("AWS::SQS::QueuePolicy");
    expect(policies).toHaveLength(1);
    const props = policies[0]![1].Properties;
    expect(props.Queues).toEqual([{ Ref: "EcsEventsQueue" }, { Ref: "EcsEventsDLQ" }]);
    const statements = arr(obj(props.PolicyDocument).Statement).map(obj);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Condition: { ArnEquals: { "aws:SourceArn": getAtt("EcsTaskEventsRule") } },
    });
  });
});

describe("osls package: cron schedules (EventBridge Scheduler)", () => {
  it("creates one schedule per cron, sending a valid trigger message to the dispatch queue", () => {
    const schedules = ofType("AWS::Scheduler::Schedule");
    expect(schedules.map(([id]) => id).sort()).toEqual(["CronHourlySyncSchedule", "CronNightlySchedule"]);
    const time = "2026-03-22T03:00:00Z";
    for (const cron of CRONS) {
      const props = schedules.find(([, r]) => r.Properties.Name === cron.name)![1].Properties;
      expect(props.ScheduleExpression).toBe(cron.schedule);
      expect(props.ScheduleExpressionTimezone).toBe(cron.timezone);
      expect(props.FlexibleTimeWindow).toEqual({ Mode: "OFF" });
      const target = obj(props.Target);
      expect(target.Arn).toEqual(getAtt("DispatchQueue"));
      expect(target.RoleArn).toEqual(getAtt("CronSchedulerRole"));
      const input = String(target.Input);
      // The context attribute EventBridge Scheduler substitutes at each firing.
      expect(input).toContain("<aws.scheduler.scheduled-time>");
      const message = parseQueueMessage(input.replaceAll("<aws.scheduler.scheduled-time>", time));
      expect(message).toEqual({
        v: 1,
        kind: "trigger",
        deployment: cron.deployment,
        ...(cron.parameters ? { parameters: cron.parameters } : {}),
        idempotencyKey: `cron:${cron.name}:${time}`,
        scheduledTime: time,
        source: `cron:${cron.name}`,
      });
    }
  });

  it("lets the scheduler role do nothing but send to the dispatch queue", () => {
    const role = resource("CronSchedulerRole", "AWS::IAM::Role").Properties;
    expect(str(role.AssumeRolePolicyDocument)).toContain("scheduler.amazonaws.com");
    expect(statementsOf("CronSchedulerRole")).toEqual([
      { Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [getAtt("DispatchQueue")] },
    ]);
  });
});

describe("osls package: least-privilege IAM", () => {
  it("grants no wildcard action, and only Allow statements", () => {
    const all = allStatements();
    expect(all.length).toBeGreaterThan(20);
    for (const { owner, statement } of all) {
      expect(statement.Effect, `${owner} ${statement.Sid}`).toBe("Allow");
      for (const action of asList(statement.Action))
        expect(action, `${owner} ${statement.Sid}`).not.toContain("*");
      expect(statement, `${owner}: NotAction/NotResource`).not.toHaveProperty("NotAction");
      expect(statement, `${owner}: NotAction/NotResource`).not.toHaveProperty("NotResource");
    }
  });

  it("lists tasks only in the configured clusters", () => {
    const listing = allStatements().filter(({ statement }) =>
      asList(statement.Action).includes("ecs:ListTasks"),
    );
    expect(listing.length).toBeGreaterThan(0);
    for (const { statement } of listing)
      expect(statement).toHaveProperty(["Condition", "ArnEquals", "ecs:cluster"]);
  });

  it('uses Resource "*" only for actions IAM cannot scope', () => {
    for (const { owner, statement } of allStatements()) {
      if (!asList(statement.Resource).includes("*")) continue;
      for (const action of asList(statement.Action))
        expect(STAR_RESOURCE_ACTIONS.has(action), `${owner}: ${action} on "*"`).toBe(true);
      expect(asList(statement.Resource), `${owner} ${statement.Sid}`).toEqual(["*"]);
    }
  });

  it("has one role per function, none shared", () => {
    const roles = ["Dispatch", "Events", "Tick", "Webhook"].map(
      (fn) => resource(`${fn}LambdaFunction`).Properties.Role,
    );
    expect(new Set(roles.map(str)).size).toBe(4);
    expect(template.Resources).not.toHaveProperty("IamRoleLambdaExecution");
  });

  it("passes only the configured task and execution roles, only to ECS tasks", () => {
    const passRole = allStatements()
      .map((s) => s.statement)
      .filter((s) => asList(s.Action).includes("iam:PassRole"));
    expect(passRole.length).toBeGreaterThan(0);
    for (const s of passRole) {
      expect(asList(s.Action)).toEqual(["iam:PassRole"]);
      expect(s.Resource).toEqual([EXECUTION_ROLE, ...TASK_ROLES]);
      expect(s.Condition).toEqual({ StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
    }
  });

  it("runs tasks only from pushpool's (and the configured) families, only in the configured clusters", () => {
    const runTask = withAction(
      allStatements().map((s) => s.statement),
      "ecs:RunTask",
    );
    expect(runTask.length).toBeGreaterThan(0);
    for (const s of runTask) {
      expect(asList(s.Action)).toEqual(["ecs:RunTask"]);
      expect(s.Resource).toEqual([
        subArn(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task-definition/pushpool_*:*`),
        subArn(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task-definition/prefect_*:*`),
      ]);
      expect(s.Condition).toEqual({ ArnEquals: { "ecs:cluster": CLUSTERS } });
    }
  });

  it("describes and stops tasks only in the configured clusters; tags only while creating", () => {
    const statements = allStatements().map((s) => s.statement);
    const clusterTasks = CLUSTERS.map((c) => `${c.replace(":cluster/", ":task/")}/*`);
    for (const action of ["ecs:DescribeTasks", "ecs:StopTask"]) {
      const found = withAction(statements, action);
      expect(found.length, action).toBeGreaterThan(0);
      for (const s of found) expect(s.Resource, action).toEqual(clusterTasks);
    }
    const tag = withAction(statements, "ecs:TagResource");
    expect(tag.length).toBeGreaterThan(0);
    for (const s of tag) {
      expect(s.Condition).toEqual({
        StringEquals: { "ecs:CreateAction": ["RunTask", "RegisterTaskDefinition"] },
      });
      expect(asList(s.Resource)).toEqual(expect.arrayContaining(clusterTasks));
    }
  });

  it("reads exactly the configured secrets; the webhook key only in the webhook", () => {
    const webhookParameterArn = subArn(
      `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/pushpool/webhook-keys`,
    );
    for (const fn of ["Dispatch", "Events", "Tick", "Webhook"]) {
      const statements = statementsOf(`${fn}Role`);
      const sm = withAction(statements, "secretsmanager:GetSecretValue");
      expect(
        sm.flatMap((s) => asList(s.Resource)),
        fn,
      ).toEqual([API_KEY_SECRET]);
      const ssm = withAction(statements, "ssm:GetParameter").flatMap((s) => asList(s.Resource));
      expect(ssm, fn).toEqual(
        fn === "Webhook" ? [AUTH_STRING_PARAMETER, webhookParameterArn] : [AUTH_STRING_PARAMETER],
      );
    }
  });

  it("sends only to the dispatch queue and receives only from the function's own queue", () => {
    const statements = allStatements().map((s) => s.statement);
    for (const s of withAction(statements, "sqs:SendMessage"))
      expect(s.Resource).toEqual([getAtt("DispatchQueue")]);
    expect(withAction(statementsOf("DispatchRole"), "sqs:ReceiveMessage")[0]?.Resource).toEqual([
      getAtt("DispatchQueue"),
    ]);
    expect(withAction(statementsOf("EventsRole"), "sqs:ReceiveMessage")[0]?.Resource).toEqual([
      getAtt("EcsEventsQueue"),
    ]);
    for (const fn of ["TickRole", "WebhookRole"])
      expect(actionsOf(statementsOf(fn)).has("sqs:ReceiveMessage"), fn).toBe(false);
  });

  it("keeps ECS out of the webhook and task starts out of the events function", () => {
    const webhook = [...actionsOf(statementsOf("WebhookRole"))];
    expect(webhook.filter((a) => /^(ecs|ec2|iam):/.test(a))).toEqual([]);
    const events = actionsOf(statementsOf("EventsRole"));
    for (const a of [
      "ecs:RunTask",
      "ecs:RegisterTaskDefinition",
      "ecs:ListTaskDefinitions",
      "iam:PassRole",
      "ecs:StopTask",
    ])
      expect(events.has(a), a).toBe(false);
    for (const fn of ["Dispatch", "Tick"]) {
      const actions = actionsOf(statementsOf(`${fn}Role`));
      for (const a of [
        "ecs:RunTask",
        "ecs:RegisterTaskDefinition",
        "ecs:ListTaskDefinitions",
        "iam:PassRole",
        "ecs:TagResource",
      ])
        expect(actions.has(a), `${fn} ${a}`).toBe(true);
    }
  });

  it("writes each function's logs only to its own log group", () => {
    for (const fn of ["Dispatch", "Events", "Tick", "Webhook"]) {
      const put = withAction(statementsOf(`${fn}Role`), "logs:PutLogEvents");
      expect(
        put.flatMap((s) => asList(s.Resource)),
        fn,
      ).toEqual([getAtt(`${fn}LogGroup`)]);
    }
  });
});

describe("cfn-lint", () => {
  it("finds no errors in the generated template (accepted warnings listed above)", async () => {
    const file = join(outDir, "cloudformation-template-update-stack.json");
    let stdout: string;
    try {
      ({ stdout } = await run(join(VENV_BIN, "cfn-lint"), ["--format", "json", file], {
        maxBuffer: 16 * 1024 * 1024,
      }));
    } catch (error) {
      const e = error as { code?: string | number; stdout?: string; message: string };
      if (e.code === "ENOENT")
        throw new Error(
          "cfn-lint is not installed in .venv/ (pinned in functions/local/requirements.txt; run `npm run setup`)",
        );
      // cfn-lint exits non-zero when it reports anything; the JSON is still on stdout.
      if (!e.stdout) throw new Error(`cfn-lint failed: ${e.message}`);
      stdout = e.stdout;
    }
    const findings = JSON.parse(stdout) as { Level: string; Rule: { Id: string }; Message: string }[];
    const unexpected = findings.filter((f) => !ACCEPTED_CFN_LINT_RULES.has(f.Rule.Id));
    expect(unexpected.map((f) => `${f.Level} ${f.Rule.Id}: ${f.Message}`)).toEqual([]);
  }, 60_000);
});

describe("defaults (no parameters)", () => {
  it("resolve to the account's default cluster and the standard execution role", () => {
    const env = obj(printed.provider.environment);
    expect(env.PREFECT_API_URL).toBe("https://prefect.invalid/api");
    expect(env.PUSHPOOL_ECS_CLUSTER).toEqual(
      subArn(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:cluster/default`),
    );
    const pushpool = obj(printed.custom.pushpool);
    const dispatch = arr(obj(pushpool.statements).dispatch) as unknown as Statement[];
    expect(withAction(dispatch, "iam:PassRole")[0]?.Resource).toEqual([
      subArn(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/ecsTaskExecutionRole`),
    ]);
    // No secret configured: no secret statement and no secret reference.
    expect(actionsOf(dispatch).has("secretsmanager:GetSecretValue")).toBe(false);
    expect(Object.keys(env).filter((k) => k.includes("SECRET") || k.includes("SSM"))).toEqual([]);
    expect(obj(pushpool.cronResources)).toEqual({ Resources: {} });
  });
});

// ---- the parameter helper on its own ------------------------------------------------------------------
interface Helper {
  derive(p: Record<string, unknown>): { clusterArns: Json[]; environment: Obj };
  crons(value: unknown): { name: string; logicalId: string }[];
}
const helper = createRequire(import.meta.url)("../../functions/aws/package/config.cjs") as Helper;

describe("functions/aws/package/config.cjs", () => {
  const base = {
    prefectApiUrl: "https://p.example.com/api",
    ecsClusters: "default",
    ecsTaskLogGroups: "prefect",
  };

  it("rejects values that are not what they claim to be, naming the parameter", () => {
    expect(() => helper.derive({ ...base, ecsClusters: "" })).toThrow(/ecsClusters: at least one/);
    expect(() => helper.derive({ ...base, ecsClusters: "arn:aws:ecs:us-east-1:1:service/x" })).toThrow(
      /ecsClusters/,
    );
    expect(() => helper.derive({ ...base, ecsTaskRoles: "arn:aws:iam::123:user/x" })).toThrow(/ecsTaskRoles/);
    expect(() => helper.derive({ ...base, prefectApiKeySecret: "arn:aws:s3:::bucket" })).toThrow(
      /prefectApiKeySecret/,
    );
    expect(() => helper.derive({ ...base, prefectApiUrl: "prefect.example.com" })).toThrow(/prefectApiUrl/);
    expect(() => helper.derive({ ...base, ecsTaskFamilyPrefixes: "bad family*" })).toThrow(
      /ecsTaskFamilyPrefixes/,
    );
  });

  it("validates crons and keeps their logical ids distinct", () => {
    const ok = { name: "a", schedule: "rate(5 minutes)", deployment: "f/d" };
    expect(helper.crons(JSON.stringify([ok])).map((c) => c.logicalId)).toEqual(["CronASchedule"]);
    expect(helper.crons("[]")).toEqual([]);
    expect(() => helper.crons("{")).toThrow(/crons: must be a JSON array/);
    expect(() => helper.crons([{ ...ok, schedule: "0 3 * * *" }])).toThrow(/crons\[0\]\.schedule/);
    expect(() => helper.crons([{ ...ok, deployment: "just-a-name" }])).toThrow(/crons\[0\]\.deployment/);
    expect(() => helper.crons([{ ...ok, extra: 1 }])).toThrow(/unknown field 'extra'/);
    expect(() => helper.crons([ok, { ...ok, name: "A" }])).toThrow(/collides/);
  });

  it("accepts cluster names and SSM parameter names, expanded in the deploying account", () => {
    const d = helper.derive({ ...base, ecsClusters: "flows", prefectApiKeySecret: "/pp/key" });
    expect(d.clusterArns).toEqual([
      subArn(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:cluster/flows`),
    ]);
    expect(d.environment.PUSHPOOL_PREFECT_API_KEY_SSM_PARAMETER).toBe("/pp/key");
    expect(d.environment).not.toHaveProperty("PUSHPOOL_PREFECT_API_KEY_SECRET_ARN");
  });
});
