/**
 * Parity with Prefect's own ECS worker (PyPI prefect-aws 0.7.12 in the pinned .venv): for every
 * case in cases.ts and both default templates, the RegisterTaskDefinition and RunTask requests
 * pushpool sends to moto equal the ones the worker sends, and so do moto's read-backs
 * (DescribeTaskDefinition and DescribeTasks with tags) — modulo the intended differences in
 * differences.ts (also docs/parity/ecs.md). Prefect's side runs in ONE Python process.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeTaskDefinitionCommand, DescribeTasksCommand } from "@aws-sdk/client-ecs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { JsonObject } from "../../../core/prefect/types.ts";
import { CASES, caseInput, type Fixtures, type ParityCase, setupFixtures, TEMPLATES } from "./cases.ts";
import {
  INTENDED,
  type NormalizeContext,
  normalizeRunTask,
  normalizeTask,
  normalizeTaskDefinition,
  type Side,
} from "./differences.ts";
import {
  type Call,
  type CaseInput,
  type DriverOutput,
  runPrefectWorker,
  runPushpool,
  type SideOutcome,
} from "./harness.ts";

interface Run {
  c: ParityCase;
  input: CaseInput;
  prefect: SideOutcome;
  ours: SideOutcome;
}

let fx: Fixtures;
let meta: DriverOutput["meta"];
const runs: Run[] = [];
const timings = { prefectMs: 0, oursMs: 0 };

beforeAll(async () => {
  const endpoint = inject("motoEndpoint");
  fx = await setupFixtures();
  const planned = CASES.flatMap((c, i) => TEMPLATES.map((t) => ({ c, input: caseInput(fx, c, t, i) })));
  let started = Date.now();
  const driver = runPrefectWorker(
    endpoint,
    planned.map((p) => p.input),
  );
  timings.prefectMs = Date.now() - started;
  meta = driver.meta;
  started = Date.now();
  for (const [i, p] of planned.entries()) {
    if (p.input.pool.base_job_template === null) p.input.pool.base_job_template = meta.workerTemplate;
    const r = driver.results[i];
    if (!r) throw new Error(`no result from the driver for ${p.input.label}`);
    const prefect: SideOutcome = "ok" in r ? { ok: { calls: r.ok.calls, pid: r.ok.identifier } } : r;
    runs.push({ ...p, prefect, ours: await runPushpool(endpoint, p.input, meta) });
  }
  timings.oursMs = Date.now() - started;
  console.info(
    `ECS parity: ${runs.length} runs; Prefect's worker ${timings.prefectMs} ms, pushpool ${timings.oursMs} ms`,
  );
}, 120_000);

const SENT = new Set(["RegisterTaskDefinition", "DescribeVpcs", "DescribeSubnets", "RunTask"]);

function calls(outcome: SideOutcome, label: string): Call[] {
  if (!("ok" in outcome)) throw new Error(`${label}: ${outcome.error.class}: ${outcome.error.message}`);
  return outcome.ok.calls.filter((call) => SENT.has(call.op));
}

function one(list: Call[], op: string): JsonObject {
  const found = list.filter((call) => call.op === op);
  expect(found.length, op).toBe(1);
  return (found[0] as Call).params;
}

function context(run: Run, side: Side): NormalizeContext {
  return {
    c: run.c,
    side,
    prefectDefaultImage: meta.defaultImage,
    deploymentId: run.input.deployment.id,
    poolName: run.input.pool.name,
    flowRunId: run.input.flowRun.id,
    containerName: String(run.input.deployment.job_variables?.container_name ?? "prefect"),
  };
}

async function describeTaskDefinition(arn: string): Promise<JsonObject> {
  const out = await fx.peers.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ["TAGS"] }),
  );
  const { taskDefinitionArn, revision, registeredAt, registeredBy, ...rest } = out.taskDefinition ?? {};
  expect(taskDefinitionArn).toBe(arn);
  expect(revision).toBeGreaterThan(0);
  return { ...rest, ...(out.tags?.length ? { tags: out.tags } : {}) } as JsonObject;
}

/** What moto keeps of a started task (ARNs and timestamps aside). */
async function describeTask(pid: string): Promise<Record<string, unknown>> {
  const [cluster, taskArn] = pid.split("::") as [string, string];
  const out = await fx.peers.ecs.send(
    new DescribeTasksCommand({ cluster, tasks: [taskArn], include: ["TAGS"] }),
  );
  const task = out.tasks?.[0];
  expect(task?.taskArn).toBe(taskArn);
  return {
    group: task?.group,
    startedBy: task?.startedBy,
    clusterArn: task?.clusterArn,
    launchType: task?.launchType,
    capacityProviderName: task?.capacityProviderName,
    overrides: task?.overrides,
    tags: task?.tags,
    cpu: task?.cpu,
    memory: task?.memory,
    containers: task?.containers?.map((ct) => ({ name: ct.name, image: ct.image })),
    subnet: task?.attachments?.[0]?.details?.find((d) => d.name === "subnetId")?.value,
  };
}

/** Compares one case under one template: requests, then moto's read-backs. */
async function compare(run: Run): Promise<void> {
  const { c } = run;
  const label = run.input.label;
  if (c.fails) {
    for (const side of [run.prefect, run.ours]) {
      expect("error" in side, label).toBe(true);
      if ("error" in side) {
        expect(side.error.message, label).toMatch(c.fails);
        expect(side.error.calls, `${label}: no AWS call`).toEqual([]);
      }
    }
    return;
  }
  const theirs = calls(run.prefect, `${label} (Prefect's worker)`);
  const ours = calls(run.ours, `${label} (pushpool)`);
  expect(
    ours.map((x) => x.op),
    `${label}: request sequence`,
  ).toEqual(theirs.map((x) => x.op));
  const ec2 = (list: Call[]) => list.filter((x) => x.service === "ec2").map((x) => [x.op, x.params]);
  expect(ec2(ours), `${label}: network discovery`).toEqual(ec2(theirs));

  const tRun = one(theirs, "RunTask");
  const oRun = one(ours, "RunTask");
  expect(normalizeRunTask(oRun, context(run, "ours")), `${label}: RunTask`).toEqual(
    normalizeRunTask(tRun, context(run, "prefect")),
  );
  const tArn = String(tRun.taskDefinition);
  const oArn = String(oRun.taskDefinition);
  if (c.linked) {
    expect(
      theirs.some((x) => x.op === "RegisterTaskDefinition"),
      label,
    ).toBe(false);
    expect([tArn, oArn], label).toEqual([fx.linkedArn, fx.linkedArn]);
  } else {
    const tReg = one(theirs, "RegisterTaskDefinition");
    const oReg = one(ours, "RegisterTaskDefinition");
    expect(normalizeTaskDefinition(oReg, context(run, "ours")), `${label}: RegisterTaskDefinition`).toEqual(
      normalizeTaskDefinition(tReg, context(run, "prefect")),
    );
    expect(oArn).not.toBe(tArn);
    expect(
      normalizeTaskDefinition(await describeTaskDefinition(oArn), context(run, "ours")),
      `${label}: DescribeTaskDefinition`,
    ).toEqual(normalizeTaskDefinition(await describeTaskDefinition(tArn), context(run, "prefect")));
  }

  const pids = [run.prefect, run.ours].map((o) => ("ok" in o ? o.ok.pid : ""));
  const [tPid, oPid] = pids as [string, string];
  expect(oPid.split("::")[0], `${label}: pid cluster part`).toBe(tPid.split("::")[0]);
  const [tTask, oTask] = [await describeTask(tPid), await describeTask(oPid)];
  if (!c.customNetwork) {
    delete tTask.subnet;
    delete oTask.subnet;
  }
  expect(normalizeTask(oTask, context(run, "ours"), oRun.clientToken), `${label}: DescribeTasks`).toEqual(
    normalizeTask(tTask, context(run, "prefect"), tRun.clientToken),
  );
}

/** Our raw requests for a case under prefect-aws's template: proof that the case exercises its feature. */
function requests(name: string): { register: JsonObject | undefined; runTask: JsonObject } {
  const run = runs.find((r) => r.c.name === name && r.input.label.startsWith("prefect-aws"));
  const sent = run ? calls(run.ours, name) : [];
  const register = sent.find((x) => x.op === "RegisterTaskDefinition")?.params;
  return { register, runTask: one(sent, "RunTask") };
}

const container = (register: JsonObject | undefined) =>
  ((register?.containerDefinitions as JsonObject[] | undefined) ?? [])[0] ?? {};

describe("ECS parity with Prefect's own worker (prefect-aws 0.7.12) on moto", () => {
  it("runs at least 8 cases under both default templates on both sides", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(8);
    expect(runs).toHaveLength(CASES.length * TEMPLATES.length);
    const succeeded = runs.filter((r) => "ok" in r.prefect && "ok" in r.ours);
    expect(succeeded.length).toBe(runs.filter((r) => !r.c.fails).length);
  });

  for (const c of CASES)
    it(c.name, async () => {
      const mine = runs.filter((r) => r.c === c);
      expect(mine).toHaveLength(TEMPLATES.length);
      for (const run of mine) await compare(run);
    });

  it("spot checks: each case exercises what it names (equal on both sides, see above)", () => {
    expect(requests("EC2 launch type with cpu/memory").runTask.launchType).toBe("EC2");
    expect(container(requests("EC2 launch type, default cpu/memory").register)).toMatchObject({
      cpu: 1024,
      memory: 2048,
    });
    expect(requests("FARGATE_SPOT").runTask).toMatchObject({
      capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
    });
    expect(requests("FARGATE_SPOT").runTask).not.toHaveProperty("launchType");
    expect(requests("capacity_provider_strategy").runTask.capacityProviderStrategy).toHaveLength(2);
    const tags = requests("labels that need slugifying").runTask.tags as JsonObject[];
    expect(tags).toContainEqual({ key: "team-name", value: "Data-ML" });
    expect(tags).toContainEqual({ key: "Hello-World", value: "a/b-c" });
    const env = requests("env and command overrides, env vars set to null").runTask;
    expect(JSON.stringify(env)).not.toMatch(/DROP_ME|PREFECT_API_KEY/);
    expect(JSON.stringify(env)).toContain('"--date","2026-08-21"');
    expect(requests("task_role_arn and execution_role_arn").register?.executionRoleArn).toMatch(/role\//);
    expect(requests("task_role_arn and execution_role_arn").runTask).toMatchObject({
      overrides: { taskRoleArn: expect.stringMatching(/role\/flow-task$/) },
    });
    expect(requests("vpc_id + network_configuration (subnets, securityGroups)").runTask).toMatchObject({
      networkConfiguration: { awsvpcConfiguration: { securityGroups: [fx.peers.securityGroup] } },
    });
    expect(container(requests("CloudWatch logs with options and prefix").register).logConfiguration).toEqual({
      logDriver: "awslogs",
      options: {
        "awslogs-create-group": "true",
        "awslogs-group": "flows",
        "awslogs-region": "us-east-1",
        "awslogs-stream-prefix": "etl",
        mode: "non-blocking",
      },
    });
    expect(requests("task_definition_arn (pre-registered)").register).toBeUndefined();
    expect(requests("family given").register?.family).toBe(`${fx.peers.prefix}-prefect-aws-family`);
    const secrets = requests("prefect_api_key_secret_arn and prefect_api_auth_string_secret_arn");
    // Sorted by name in ours (canonical spec), KEY then AUTH_STRING in Prefect's: see INTENDED.
    expect(container(secrets.register).secrets).toEqual([
      { name: "PREFECT_API_AUTH_STRING", valueFrom: expect.stringMatching(/prefect-auth-string/) },
      { name: "PREFECT_API_KEY", valueFrom: expect.stringMatching(/prefect-api-key/) },
    ]);
    expect(JSON.stringify(secrets.runTask)).not.toContain("PREFECT_API_KEY");
    expect(container(requests("custom container_name").register).name).toBe("app");
  });

  it("every intended difference is listed in docs/parity/ecs.md", () => {
    const text = readFileSync(
      join(import.meta.dirname, "..", "..", "..", "docs", "parity", "ecs.md"),
      "utf8",
    );
    for (const d of INTENDED) expect(text, d.path).toContain(`\`${d.path}\``);
  });
});
