"use strict";
/**
 * Turns pushpool's deploy parameters (`--param="name=value"`, or `params:` in serverless.yml) into
 * the values serverless.yml needs and cannot compute itself: ARN lists, per-function IAM
 * statements (only the statements that have resources), the functions' environment, and one
 * EventBridge Scheduler schedule per configured cron.
 *
 * serverless.yml loads it once: `custom.pushpool: ${file(./functions/aws/package/config.cjs)}`.
 * It runs at package time, offline (no AWS calls): everything account- or region-specific is
 * left to CloudFormation (`Fn::Sub` with `AWS::Partition`, `AWS::Region`, `AWS::AccountId`).
 *
 * Every list parameter is comma-separated. Names are accepted where AWS has a canonical ARN form
 * (ECS clusters, IAM roles, SSM parameters) and are expanded in this account and region.
 */

/** Task-definition families pushpool itself registers start with this. */
const POOL_FAMILY_PREFIX = "pushpool_";
const CRON_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CRON_KEYS = new Set([
  "name",
  "schedule",
  "deployment",
  "parameters",
  "jobVariables",
  "timezone",
  "enabled",
  "description",
]);

class ConfigError extends Error {
  constructor(message) {
    super(`pushpool serverless parameters: ${message}`);
    this.name = "PushpoolConfigError";
    // osls prints an error's stack: the message says everything, the trace would bury it.
    this.stack = `${this.name}: ${this.message}`;
  }
}

const sub = (template) => ({ "Fn::Sub": template });
const getAtt = (resource, attribute) => ({ "Fn::GetAtt": [resource, attribute] });

/** A comma-separated parameter as a list of trimmed, non-empty strings. */
function list(value) {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  return String(value)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function text(value) {
  return value === undefined || value === null ? "" : String(value).trim();
}

/** `arn:…:ecs:…:cluster/<name>` (kept) or a cluster name (expanded in this account and region). */
function cluster(value) {
  const arn = /^arn:(aws[a-z-]*):ecs:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9_-]{1,255})$/.exec(value);
  if (arn) {
    const [, partition, region, account, name] = arn;
    return { arn: value, name, tasks: `arn:${partition}:ecs:${region}:${account}:task/${name}/*` };
  }
  if (/^[A-Za-z0-9_-]{1,255}$/.test(value)) {
    return {
      arn: sub(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:cluster/${value}`),
      name: value,
      tasks: sub(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task/${value}/*`),
    };
  }
  throw new ConfigError(`ecsClusters: '${value}' is neither an ECS cluster ARN nor a cluster name`);
}

/** `arn:…:iam::<account>:role/<path/name>` (kept) or a role name (expanded in this account). */
function role(param, value) {
  if (/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(value)) return value;
  if (/^[\w+=,.@-]{1,64}$/.test(value))
    return sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${value}`);
  throw new ConfigError(`${param}: '${value}' is neither an IAM role ARN nor a role name`);
}

/**
 * A secret reference: a Secrets Manager secret ARN (the full ARN, with its random suffix), an SSM
 * parameter ARN, or an SSM parameter name (`/pushpool/prefect-api-key`). Returns the env variable
 * suffix the functions read (`_SECRET_ARN` / `_SSM_PARAMETER`, see functions/aws/secrets.ts),
 * the value to put there and the IAM resource.
 */
function secret(param, value) {
  if (!value) return null;
  if (/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/.test(value)) {
    return { kind: "secretsmanager", suffix: "_SECRET_ARN", value, resource: value };
  }
  if (/^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[\w./-]+$/.test(value)) {
    return { kind: "ssm", suffix: "_SSM_PARAMETER", value, resource: value };
  }
  if (/^\/?[\w./-]{1,2048}$/.test(value) && !value.startsWith("arn:")) {
    const path = value.startsWith("/") ? value.slice(1) : value;
    return {
      kind: "ssm",
      suffix: "_SSM_PARAMETER",
      value,
      resource: sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${path}`),
    };
  }
  throw new ConfigError(
    `${param}: '${value}' is not a Secrets Manager secret ARN, an SSM parameter ARN or an SSM parameter name`,
  );
}

function pascal(name) {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
}

/** The `crons` parameter: a JSON array (CLI) or a YAML list (`params:` in serverless.yml). */
function crons(value) {
  let entries = value;
  if (entries === undefined || entries === null || entries === "") return [];
  if (typeof entries === "string") {
    try {
      entries = JSON.parse(entries);
    } catch {
      throw new ConfigError("crons: must be a JSON array of {name, schedule, deployment, parameters?}");
    }
  }
  if (!Array.isArray(entries)) throw new ConfigError("crons: must be a list");
  const seen = new Map();
  return entries.map((entry, i) => {
    const where = `crons[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry))
      throw new ConfigError(`${where}: must be an object`);
    for (const key of Object.keys(entry))
      if (!CRON_KEYS.has(key)) throw new ConfigError(`${where}: unknown field '${key}'`);
    const { name, schedule, deployment } = entry;
    if (typeof name !== "string" || !CRON_NAME.test(name))
      throw new ConfigError(
        `${where}.name: must be 1-64 characters of A-Z a-z 0-9 _ - (not starting with _ -)`,
      );
    const logicalId = `Cron${pascal(name)}Schedule`;
    if (seen.has(logicalId))
      throw new ConfigError(`${where}.name: '${name}' collides with '${seen.get(logicalId)}'`);
    seen.set(logicalId, name);
    if (typeof schedule !== "string" || !/^(cron|rate|at)\(.+\)$/.test(schedule))
      throw new ConfigError(`${where}.schedule: must be cron(...), rate(...) or at(...)`);
    if (typeof deployment !== "string" || !(UUID.test(deployment) || /^[^/]+\/[^/]+$/.test(deployment)))
      throw new ConfigError(`${where}.deployment: must be 'flow-name/deployment-name' or a deployment id`);
    for (const key of ["parameters", "jobVariables"]) {
      const v = entry[key];
      if (v !== undefined && (typeof v !== "object" || v === null || Array.isArray(v)))
        throw new ConfigError(`${where}.${key}: must be an object`);
    }
    if (entry.timezone !== undefined && typeof entry.timezone !== "string")
      throw new ConfigError(`${where}.timezone: must be an IANA time zone name`);
    return { ...entry, logicalId };
  });
}

/**
 * The trigger message a cron schedule sends (core/messages.ts `TriggerMessage`). EventBridge
 * Scheduler replaces `<aws.scheduler.scheduled-time>` (e.g. `2026-03-22T18:59:43Z`) at each firing;
 * the time is the same for every retry of one firing, so the idempotency key makes a duplicate
 * delivery create nothing.
 */
function cronMessage(cron) {
  const time = "<aws.scheduler.scheduled-time>";
  return JSON.stringify({
    v: 1,
    kind: "trigger",
    deployment: cron.deployment,
    ...(cron.parameters ? { parameters: cron.parameters } : {}),
    ...(cron.jobVariables ? { jobVariables: cron.jobVariables } : {}),
    idempotencyKey: `cron:${cron.name}:${time}`,
    scheduledTime: time,
    source: `cron:${cron.name}`,
  });
}

function cronResources(entries, service, stage) {
  if (entries.length === 0) return {};
  const resources = {
    CronScheduleGroup: {
      Type: "AWS::Scheduler::ScheduleGroup",
      Properties: { Name: `${service}-${stage}`.slice(0, 64) },
    },
    CronSchedulerRole: {
      Type: "AWS::IAM::Role",
      Properties: {
        Description: "EventBridge Scheduler to the pushpool dispatch queue (cron triggers)",
        AssumeRolePolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "scheduler.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
            },
          ],
        },
        Policies: [
          {
            PolicyName: "send-trigger-messages",
            PolicyDocument: {
              Version: "2012-10-17",
              Statement: [
                { Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [getAtt("DispatchQueue", "Arn")] },
              ],
            },
          },
        ],
      },
    },
  };
  for (const cron of entries) {
    resources[cron.logicalId] = {
      Type: "AWS::Scheduler::Schedule",
      Properties: {
        Name: cron.name,
        GroupName: { Ref: "CronScheduleGroup" },
        Description: (cron.description ?? `pushpool cron '${cron.name}': run ${cron.deployment}`).slice(
          0,
          512,
        ),
        ScheduleExpression: cron.schedule,
        ...(cron.timezone ? { ScheduleExpressionTimezone: cron.timezone } : {}),
        FlexibleTimeWindow: { Mode: "OFF" },
        State: cron.enabled === false ? "DISABLED" : "ENABLED",
        Target: {
          Arn: getAtt("DispatchQueue", "Arn"),
          RoleArn: getAtt("CronSchedulerRole", "Arn"),
          Input: cronMessage(cron),
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
        },
      },
    };
  }
  return resources;
}

function statement(sid, actions, resources, condition) {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: resources,
    ...(condition ? { Condition: condition } : {}),
  };
}

/** Reads the parameters (all have defaults in serverless.yml) and derives everything else. */
function derive(p) {
  const clusters = list(p.ecsClusters).map(cluster);
  if (clusters.length === 0) throw new ConfigError("ecsClusters: at least one ECS cluster is required");
  const passRoles = [
    ...list(p.ecsExecutionRoles).map((r) => role("ecsExecutionRoles", r)),
    ...list(p.ecsTaskRoles).map((r) => role("ecsTaskRoles", r)),
  ];
  const families = [POOL_FAMILY_PREFIX, ...list(p.ecsTaskFamilyPrefixes)];
  for (const f of families)
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(f))
      throw new ConfigError(`ecsTaskFamilyPrefixes: '${f}' is not a task-definition family prefix`);
  const taskDefinitions = [...new Set(families)].map((f) =>
    sub(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task-definition/${f}*:*`),
  );
  const logGroups = list(p.ecsTaskLogGroups).map((g) => {
    if (!/^[\w./#-]{1,512}$/.test(g))
      throw new ConfigError(`ecsTaskLogGroups: '${g}' is not a log group name`);
    return sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${g}:*`);
  });
  const prefectSecrets = [
    ["PUSHPOOL_PREFECT_API_KEY", secret("prefectApiKeySecret", text(p.prefectApiKeySecret))],
    ["PUSHPOOL_PREFECT_AUTH_STRING", secret("prefectAuthStringSecret", text(p.prefectAuthStringSecret))],
  ].filter(([, s]) => s);
  const webhookSecret = secret("webhookKeysSecret", text(p.webhookKeysSecret));
  const kmsKey = text(p.secretsKmsKeyArn);
  if (kmsKey && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/.test(kmsKey))
    throw new ConfigError(`secretsKmsKeyArn: '${kmsKey}' is not a KMS key ARN`);

  const prefectApiUrl = text(p.prefectApiUrl);
  if (!/^https?:\/\/\S+$/.test(prefectApiUrl))
    throw new ConfigError(`prefectApiUrl: '${prefectApiUrl}' is not an http(s) URL`);

  const environment = {
    PREFECT_API_URL: prefectApiUrl,
    PUSHPOOL_POOLS: list(p.pools).join(","),
    PUSHPOOL_QUEUE_URL: { Ref: "DispatchQueue" },
    PUSHPOOL_TICK_SECONDS: "60",
    PUSHPOOL_ECS_CLUSTER: clusters[0].arn,
    PUSHPOOL_ECS_CLUSTERS: { "Fn::Join": [",", clusters.map((c) => c.arn)] },
    POWERTOOLS_SERVICE_NAME: "pushpool",
    POWERTOOLS_LOG_LEVEL: text(p.logLevel) || "INFO",
  };
  const containerApiUrl = text(p.containerApiUrl);
  if (containerApiUrl) environment.PUSHPOOL_CONTAINER_API_URL = containerApiUrl;
  for (const [name, s] of prefectSecrets) environment[`${name}${s.suffix}`] = s.value;
  const webhookEnvironment = webhookSecret
    ? { [`PUSHPOOL_WEBHOOK_KEYS${webhookSecret.suffix}`]: webhookSecret.value }
    : {};

  /** Read access to exactly the configured secrets (and the customer-managed key, if any). */
  const readSecrets = (list_) => {
    const out = [];
    const sm = list_.filter((s) => s.kind === "secretsmanager").map((s) => s.resource);
    const ssm = list_.filter((s) => s.kind === "ssm").map((s) => s.resource);
    if (sm.length) out.push(statement("ReadSecrets", ["secretsmanager:GetSecretValue"], sm));
    if (ssm.length) out.push(statement("ReadParameters", ["ssm:GetParameter"], ssm));
    if (kmsKey && list_.length)
      out.push(
        statement("DecryptSecrets", ["kms:Decrypt"], [kmsKey], {
          StringEquals: {
            "kms:ViaService": [
              sub(`secretsmanager.\${AWS::Region}.amazonaws.com`),
              sub(`ssm.\${AWS::Region}.amazonaws.com`),
            ],
          },
        }),
      );
    return out;
  };
  const prefect = prefectSecrets.map(([, s]) => s);
  const ownLogs = (fn) =>
    statement(
      "WriteOwnLogs",
      ["logs:CreateLogStream", "logs:PutLogEvents"],
      [getAtt(`${fn}LogGroup`, "Arn")],
    );
  const consume = (queue) =>
    statement(
      "ConsumeQueue",
      ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
      [getAtt(queue, "Arn")],
    );
  const enqueue = statement("SendDispatchMessages", ["sqs:SendMessage"], [getAtt("DispatchQueue", "Arn")]);
  const clusterArns = clusters.map((c) => c.arn);
  const taskArns = clusters.map((c) => c.tasks);

  // ECS task-definition calls have no resource-level permissions in IAM (the service
  // authorization reference lists no resource type for them): their Resource must be "*".
  const taskDefinitionsRead = statement(
    "TaskDefinitionsDescribeDeregister",
    ["ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition"],
    ["*"],
  );
  const submit = [
    // Listing the family finds a revision with the same content before registering another.
    statement("TaskDefinitionsRegister", ["ecs:RegisterTaskDefinition", "ecs:ListTaskDefinitions"], ["*"]),
    taskDefinitionsRead,
    statement("RunPoolTasks", ["ecs:RunTask"], taskDefinitions, {
      ArnEquals: { "ecs:cluster": clusterArns },
    }),
    statement("TagOnCreate", ["ecs:TagResource"], [...taskArns, ...taskDefinitions], {
      StringEquals: { "ecs:CreateAction": ["RunTask", "RegisterTaskDefinition"] },
    }),
    // A resumed claim looks for the task it already started (ListTasks by startedBy): only in our clusters.
    statement("ListClaimTasks", ["ecs:ListTasks"], ["*"], { ArnEquals: { "ecs:cluster": clusterArns } }),
    // DescribeVpcs/DescribeSubnets support no resource-level permissions either.
    statement("FindDefaultNetwork", ["ec2:DescribeVpcs", "ec2:DescribeSubnets"], ["*"]),
  ];
  if (passRoles.length)
    submit.push(
      statement("PassTaskRoles", ["iam:PassRole"], passRoles, {
        StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
      }),
    );
  const describeTasks = statement("DescribeTasks", ["ecs:DescribeTasks"], taskArns);
  const stopTasks = statement("StopTasks", ["ecs:StopTask"], taskArns);
  const readTaskLogs = logGroups.length ? [statement("ReadTaskLogs", ["logs:GetLogEvents"], logGroups)] : [];

  return {
    clusterArns,
    environment,
    webhookEnvironment,
    statements: {
      // Claims and submits runs; re-queues early deliveries.
      dispatch: [
        ownLogs("Dispatch"),
        consume("DispatchQueue"),
        enqueue,
        ...submit,
        describeTasks,
        ...readSecrets(prefect),
      ],
      // ECS task state changes → Crashed; forwards a crashed task's log tail; deregisters.
      events: [
        ownLogs("Events"),
        consume("EcsEventsQueue"),
        taskDefinitionsRead,
        describeTasks,
        ...readTaskLogs,
        ...readSecrets(prefect),
      ],
      // Heartbeat, enqueue due runs, reconcile (inspect, resubmit with the claim's token, kill).
      tick: [
        ownLogs("Tick"),
        enqueue,
        ...submit,
        describeTasks,
        stopTasks,
        ...readTaskLogs,
        ...readSecrets(prefect),
      ],
      // Verifies the signature, creates the run, enqueues its dispatch. No ECS access at all.
      webhook: [
        ownLogs("Webhook"),
        enqueue,
        ...readSecrets(webhookSecret ? [...prefect, webhookSecret] : prefect),
      ],
    },
  };
}

/**
 * `osls package` and `osls deploy` (however the parameters were given) first check every parameter
 * (validate.ts) and stop with one line per problem; other commands (print, info, remove…) do not,
 * so a stack can be inspected or removed without its parameters.
 */
function refuseBadParameters(p) {
  // osls's own rule: the command is the arguments before the first option.
  const args = process.argv.slice(2);
  const first = args.findIndex((a) => a.startsWith("-"));
  const command = args.slice(0, first === -1 ? args.length : first)[0];
  if (command !== "package" && command !== "deploy") return;
  const { require: tsRequire } = require("tsx/cjs/api");
  const { checkParameters, report } = tsRequire("./validate.ts", __filename);
  const problems = checkParameters(p);
  if (problems.length === 0) return;
  process.stderr.write(report(problems));
  process.exit(1);
}

module.exports = async ({ resolveVariable }) => {
  // The parameter names are listed once, beside their checks (./validate.ts).
  const { require: tsRequire } = require("tsx/cjs/api");
  const { PARAMETERS: names } = tsRequire("./validate.ts", __filename);
  const p = {};
  for (const name of names) p[name] = await resolveVariable(`param:${name}`);
  refuseBadParameters(p);
  const service = await resolveVariable("self:service");
  const stage = await resolveVariable("sls:stage");
  const derived = derive(p);
  return { ...derived, cronResources: { Resources: cronResources(crons(p.crons), service, stage) } };
};

module.exports.derive = derive;
module.exports.crons = crons;
module.exports.cronMessage = cronMessage;
