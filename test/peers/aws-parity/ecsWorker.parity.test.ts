/**
 * Parity with Prefect's own ECS worker (PyPI prefect-aws 0.7.12 in the pinned .venv): for every
 * case in cases.ts and edgeCases.ts under both default templates (customised where the case says),
 * the RegisterTaskDefinition and RunTask requests pushpool sends to moto equal the ones the worker
 * sends, and so do moto's read-backs (DescribeTaskDefinition and DescribeTasks with tags), the pid's
 * cluster part and the refusals — modulo the declared differences of docs/parity/differences.md,
 * which differences.ts reads. Prefect's side runs in ONE Python process.
 */
import { ListTaskDefinitionsCommand } from "@aws-sdk/client-ecs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { JsonObject } from "../../../core/prefect/types.ts";
import { BASE_CASES, type ParityCase } from "./cases.ts";
import { NORMALISERS, type NormalizeContext, normalize, readTable, type Side } from "./differences.ts";
import { EDGE_CASES } from "./edgeCases.ts";
import {
  caseInput,
  differsFamily,
  type Fixtures,
  setupFixtures,
  TEMPLATES,
  type TemplateName,
} from "./fixtures.ts";
import {
  type Call,
  type CaseInput,
  type DriverOutput,
  runPrefectWorker,
  runPushpool,
  type SideOutcome,
} from "./harness.ts";
import { describeTask, describeTaskDefinition } from "./readBacks.ts";

const CASES: ParityCase[] = [...BASE_CASES, ...EDGE_CASES];

interface Run {
  c: ParityCase;
  template: TemplateName;
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
  fx = await setupFixtures(endpoint);
  const planned = CASES.flatMap((c, i) =>
    (c.templates ?? TEMPLATES).map((t) => ({ c, template: t, input: caseInput(fx, c, t, i) })),
  );
  let started = Date.now();
  const driver = runPrefectWorker(
    endpoint,
    planned.map((p) => p.input),
  );
  timings.prefectMs = Date.now() - started;
  meta = driver.meta;
  started = Date.now();
  for (const [i, p] of planned.entries()) {
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

function calls(outcome: SideOutcome, label: string, fails?: RegExp): Call[] {
  if (fails) {
    if (!("error" in outcome)) throw new Error(`${label}: expected to fail with ${fails}`);
    expect(outcome.error.message, label).toMatch(fails);
    return outcome.error.calls.filter((call) => SENT.has(call.op));
  }
  if (!("ok" in outcome)) throw new Error(`${label}: ${outcome.error.class}: ${outcome.error.message}`);
  return outcome.ok.calls.filter((call) => SENT.has(call.op));
}

function one(list: Call[], op: string): JsonObject {
  const found = list.filter((call) => call.op === op);
  expect(found.length, op).toBe(1);
  return (found[0] as Call).params;
}

function context(run: Run, side: Side, token?: unknown): NormalizeContext {
  return {
    token,
    c: run.c,
    side,
    prefectDefaultImage: meta.defaultImage,
    deploymentId: run.input.deployment.id,
    poolName: run.input.pool.name,
    flowRunId: run.input.flowRun.id,
    containerName: String(run.input.deployment.job_variables?.container_name ?? "prefect"),
  };
}

/** Compares one case under one template: requests, then moto's read-backs. */
async function compare(run: Run): Promise<void> {
  const { c } = run;
  const label = run.input.label;
  if (c.fails) {
    for (const [side, outcome] of [
      ["prefect", run.prefect],
      ["ours", run.ours],
    ] as const) {
      expect("error" in outcome, `${label} (${side})`).toBe(true);
      if (!("error" in outcome)) continue;
      expect(outcome.error.message, label).toMatch(c.fails);
      const before = normalize("calls", { calls: outcome.error.calls }, context(run, side));
      expect(before.calls, `${label}: no AWS call before the refusal (${side})`).toEqual([]);
    }
    return;
  }
  const theirs = calls(run.prefect, `${label} (Prefect's worker)`, c.prefectFails);
  const ours = calls(run.ours, `${label} (pushpool)`);
  const sequence = (list: Call[]) =>
    list.map((x) => x.op).filter((op) => !(c.secondReusesFirst && op === "RegisterTaskDefinition"));
  expect(sequence(ours), `${label}: request sequence`).toEqual(sequence(theirs));
  const ec2 = (list: Call[]) => list.filter((x) => x.service === "ec2").map((x) => [x.op, x.params]);
  expect(ec2(ours), `${label}: network discovery`).toEqual(ec2(theirs));

  const tRun = one(theirs, "RunTask");
  const oRun = one(ours, "RunTask");
  const tCtx = context(run, "prefect", tRun.clientToken);
  const oCtx = context(run, "ours", oRun.clientToken);
  expect(normalize("RunTask", oRun, oCtx), `${label}: RunTask`).toEqual(normalize("RunTask", tRun, tCtx));
  const tArn = String(tRun.taskDefinition);
  const oArn = String(oRun.taskDefinition);
  const registers = (list: Call[]) => list.some((x) => x.op === "RegisterTaskDefinition");
  if (c.secondReusesFirst) {
    expect([registers(theirs), registers(ours)], `${label}: Prefect registers, pushpool reuses`).toEqual([
      true,
      false,
    ]);
    expect(oArn, label).toBe(tArn);
    const [hand] =
      (
        await fx.peers.ecs.send(
          new ListTaskDefinitionsCommand({ familyPrefix: differsFamily(fx, run.template) }),
        )
      ).taskDefinitionArns ?? [];
    expect(tArn, `${label}: not the differing hand-made revision`).not.toBe(hand);
  } else if (c.linked || c.reuses) {
    expect([registers(theirs), registers(ours)], `${label}: nothing registered`).toEqual([false, false]);
    const arn = c.linked ? fx.linkedArn : fx.reusable[run.template];
    expect([tArn, oArn], label).toEqual([arn, arn]);
  } else {
    const tReg = one(theirs, "RegisterTaskDefinition");
    const oReg = one(ours, "RegisterTaskDefinition");
    expect(normalize("RegisterTaskDefinition", oReg, oCtx), `${label}: RegisterTaskDefinition`).toEqual(
      normalize("RegisterTaskDefinition", tReg, tCtx),
    );
    expect(oArn).not.toBe(tArn);
    expect(
      normalize("RegisterTaskDefinition", await describeTaskDefinition(fx.peers.ecs, oArn), oCtx),
      `${label}: DescribeTaskDefinition`,
    ).toEqual(normalize("RegisterTaskDefinition", await describeTaskDefinition(fx.peers.ecs, tArn), tCtx));
  }
  if (c.prefectFails) return; // Prefect's worker started no task to read back

  const pids = [run.prefect, run.ours].map((o) => ("ok" in o ? o.ok.pid : ""));
  const [tPid, oPid] = pids as [string, string];
  const pidCluster = (pid: string) => ({ cluster: pid.split("::")[0] });
  expect(normalize("pid", pidCluster(oPid), oCtx), `${label}: pid cluster part`).toEqual(
    normalize("pid", pidCluster(tPid), tCtx),
  );
  const [tTask, oTask] = [await describeTask(fx.peers.ecs, tPid), await describeTask(fx.peers.ecs, oPid)];
  if (!c.customNetwork) {
    delete tTask.subnet;
    delete oTask.subnet;
  }
  expect(normalize("DescribeTasks", oTask, oCtx), `${label}: DescribeTasks`).toEqual(
    normalize("DescribeTasks", tTask, tCtx),
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
  it("runs at least 30 cases, customised templates included, under both default templates", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(CASES.filter((c) => c.template).length).toBeGreaterThanOrEqual(5);
    const expected = CASES.reduce((n, c) => n + (c.templates ?? TEMPLATES).length, 0);
    expect(runs).toHaveLength(expected);
    expect(runs.filter((r) => r.template === "server").length).toBeGreaterThanOrEqual(30);
    const succeeded = runs.filter((r) => "ok" in r.prefect && "ok" in r.ours);
    expect(succeeded.length).toBe(runs.filter((r) => !r.c.fails && !r.c.prefectFails).length);
  });

  for (const c of CASES)
    it(c.name, async () => {
      const mine = runs.filter((r) => r.c === c);
      expect(mine).toHaveLength((c.templates ?? TEMPLATES).length);
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
    const pid = (name: string) => {
      const run = runs.find((r) => r.c.name === name && r.template === "prefect-aws");
      return run && "ok" in run.ours ? run.ours.ok.pid : "";
    };
    const arnPid = /^arn:aws:ecs:us-east-1:\d+:cluster\/[^:]+::arn:aws:ecs:/;
    expect(
      pid("customised template: the cluster named only in task_run_request (pid: the cluster ARN)"),
    ).toMatch(arnPid);
    expect(
      pid("customised template: task_run_request's cluster differs from the `cluster` variable"),
    ).toMatch(arnPid);
    expect(
      requests('customised template: the pool\'s `cluster` default saved as ""').runTask,
    ).not.toHaveProperty("cluster");
    const sidecar = requests("customised template: a sidecar container with its own override (dict env)");
    expect(sidecar.runTask).toMatchObject({
      overrides: {
        containerOverrides: [{ name: "prefect" }, { name: "sidecar", environment: [{ name: "MODE" }] }],
      },
    });
    expect(requests("a family with characters ECS refuses").register?.family).toMatch(
      /-prefect-aws-nightly-etl$/,
    );
  });

  it("docs/parity/differences.md and the normalisers match one to one", () => {
    const rows = readTable();
    const paths = rows.map((r) => r.path);
    expect(new Set(paths).size, "one row per path").toBe(paths.length);
    expect([...paths].sort()).toEqual(NORMALISERS.map((n) => n.path).sort());
    for (const row of rows) {
      expect(row.pushpool, row.path).not.toBe("");
      expect(row.prefect, row.path).not.toBe("");
      expect(row.reason.length, `${row.path}: a reason`).toBeGreaterThan(20);
    }
  });
});
