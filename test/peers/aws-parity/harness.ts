/**
 * Runs one parity case on both sides against the shared moto server:
 *
 * - Prefect's side: test/peers/aws-parity/py/ecs_worker_driver.py (ONE Python process for every
 *   case) — `ECSJobConfiguration.resolve_for_flow_run` + the real `ECSWorker.run`, every boto3
 *   request recorded by an event hook.
 * - Our side: `renderJobConfiguration` + `EcsBackend.prepare/submit` over `ecsApiFactory` pointed
 *   at moto, every port call recorded by {@link RecordingEcsApi}.
 */

import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EcsBackend } from "../../../core/backends/ecs/index.ts";
import type { EcsApi, RunTaskRequest, TaskDefinitionSpec } from "../../../core/backends/ecs/port.ts";
import { renderJobConfiguration } from "../../../core/job/render.ts";
import type { Deployment, Flow, FlowRun, JsonObject, WorkPool } from "../../../core/prefect/types.ts";
import { parseJson } from "../../../core/template/pyFloat.ts";
import { ecsApiFactory } from "../../../functions/aws/ecsApi.ts";
import { submitVia } from "../../unit/fakes/submit.ts";
import { REPO_ROOT, VENV_BIN } from "../prefectServer.ts";
import { encode, ORACLE_SETTINGS } from "../pyOracle.ts";

/** One recorded request: `service`/`op` as AWS names them, `params` as sent. */
export interface Call {
  service: "ecs" | "ec2";
  op: string;
  params: JsonObject;
}

export type SideOutcome =
  | { ok: { calls: Call[]; pid: string } }
  | { error: { class: string; message: string; calls: Call[] } };

/** Everything both sides get for one case. */
export interface CaseInput {
  label: string;
  pool: WorkPool;
  deployment: Deployment;
  flowRun: FlowRun;
  flow: Flow;
}

export const WORKER = { name: "pushpool-parity-worker", id: "6b1f8e0e-63c1-4b5e-9d7a-7f0d0e0c4c11" };
/** Container memoryReservation both templates get (moto's RunTask answers 500 without one). */
export const MEMORY_RESERVATION = 256;

export interface DriverOutput {
  meta: {
    baseEnv: Record<string, string>;
    version: string;
    defaultImage: string;
    workerTemplate: JsonObject;
  };
  results: Array<
    | { ok: { calls: Call[]; identifier: string } }
    | { error: { class: string; message: string; calls: Call[] } }
  >;
}

/** Runs ecs_worker_driver.py with `input` on stdin; its stdout parsed (Python floats kept apart). */
function runDriver(motoEndpoint: string, input: unknown): unknown {
  const home = mkdtempSync(join(tmpdir(), "pushpool-ecs-parity-"));
  const proc = spawnSync(
    join(VENV_BIN, "python"),
    [join(REPO_ROOT, "test/peers/aws-parity/py/ecs_worker_driver.py")],
    {
      input: JSON.stringify(input),
      env: {
        PATH: process.env.PATH,
        HOME: home,
        PREFECT_HOME: join(home, ".prefect"),
        LANG: "C.UTF-8",
        ...ORACLE_SETTINGS,
        AWS_ENDPOINT_URL: motoEndpoint,
        AWS_ACCESS_KEY_ID: "testing",
        AWS_SECRET_ACCESS_KEY: "testing",
        AWS_DEFAULT_REGION: "us-east-1",
        // No retry sleeps on Prefect's side if moto refuses something.
        PREFECT_INTEGRATIONS_AWS_ECS_WORKER_CREATE_TASK_RUN_MAX_ATTEMPTS: "1",
        PREFECT_INTEGRATIONS_AWS_ECS_WORKER_REGISTER_TASK_DEFINITION_MAX_ATTEMPTS: "1",
      },
      maxBuffer: 64 * 1024 * 1024,
      encoding: "utf8",
    },
  );
  if (proc.status !== 0) throw new Error(`ecs_worker_driver.py failed (${proc.status}): ${proc.stderr}`);
  // parseJson keeps Python floats apart (PyFloat), as pushpool's Prefect client reads templates.
  return parseJson(proc.stdout);
}

/** prefect-aws's `ECSWorker.get_default_base_job_template()` with the container memoryReservation. */
export function workerDefaultTemplate(motoEndpoint: string): JsonObject {
  return runDriver(motoEndpoint, { memoryReservation: MEMORY_RESERVATION }) as JsonObject;
}

/** Runs Prefect's ECS worker on every case (pools with `base_job_template: null` get the worker's own). */
export function runPrefectWorker(motoEndpoint: string, cases: CaseInput[]): DriverOutput {
  return runDriver(motoEndpoint, {
    memoryReservation: MEMORY_RESERVATION,
    // Tagged JSON: the server template's floats (PyFloat) reach Python as floats.
    cases: cases.map((c) => encode({ ...c, workerName: WORKER.name, workerId: WORKER.id } as never)),
  }) as DriverOutput;
}

/** The EcsApi port, recording each call in AWS request terms. */
export class RecordingEcsApi implements EcsApi {
  constructor(
    private readonly inner: EcsApi,
    readonly calls: Call[] = [],
  ) {}
  get region() {
    return this.inner.region;
  }
  private note(service: Call["service"], op: string, params: unknown) {
    this.calls.push({ service, op, params: structuredClone(params) as JsonObject });
  }
  describeTaskDefinition(taskDefinition: string) {
    this.note("ecs", "DescribeTaskDefinition", { taskDefinition, include: ["TAGS"] });
    return this.inner.describeTaskDefinition(taskDefinition);
  }
  listTaskDefinitionArns(family: string, limit: number) {
    this.note("ecs", "ListTaskDefinitions", { familyPrefix: family, status: "ACTIVE", sort: "DESC" });
    return this.inner.listTaskDefinitionArns(family, limit);
  }
  registerTaskDefinition(spec: TaskDefinitionSpec) {
    this.note("ecs", "RegisterTaskDefinition", spec);
    return this.inner.registerTaskDefinition(spec);
  }
  deregisterTaskDefinition(arn: string) {
    this.note("ecs", "DeregisterTaskDefinition", { taskDefinition: arn });
    return this.inner.deregisterTaskDefinition(arn);
  }
  runTask(request: RunTaskRequest) {
    this.note("ecs", "RunTask", request);
    return this.inner.runTask(request);
  }
  listTasksStartedBy(cluster: string | undefined, startedBy: string) {
    this.note("ecs", "ListTasks", { cluster: cluster ?? null, startedBy });
    return this.inner.listTasksStartedBy(cluster, startedBy);
  }
  describeTasks(cluster: string, tasks: string[]) {
    this.note("ecs", "DescribeTasks", { cluster, tasks, include: ["TAGS"] });
    return this.inner.describeTasks(cluster, tasks);
  }
  stopTask(cluster: string, task: string, reason: string) {
    this.note("ecs", "StopTask", { cluster, task, reason });
    return this.inner.stopTask(cluster, task, reason);
  }
  findVpc(vpcId?: string) {
    this.note(
      "ec2",
      "DescribeVpcs",
      vpcId ? { VpcIds: [vpcId] } : { Filters: [{ Name: "isDefault", Values: ["true"] }] },
    );
    return this.inner.findVpc(vpcId);
  }
  listSubnets(vpcId: string) {
    this.note("ec2", "DescribeSubnets", { Filters: [{ Name: "vpc-id", Values: [vpcId] }] });
    return this.inner.listSubnets(vpcId);
  }
  tailLogEvents(group: string, stream: string, limit: number) {
    return this.inner.tailLogEvents(group, stream, limit);
  }
}

/** Renders and submits one case with pushpool (a fresh backend per case: no shared registry state). */
export async function runPushpool(
  motoEndpoint: string,
  c: CaseInput,
  meta: DriverOutput["meta"],
): Promise<SideOutcome> {
  const factory = ecsApiFactory({
    region: "us-east-1",
    endpoint: motoEndpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    env: {},
  });
  const calls: Call[] = [];
  const backend = new EcsBackend({
    ecsApiFor: (credentials) => new RecordingEcsApi(factory(credentials), calls),
    sleep: async () => {},
    registerAttempts: 1,
  });
  const noReads = async () => {
    throw new Error("parity templates reference no blocks or variables");
  };
  try {
    const config = await renderJobConfiguration({
      pool: c.pool,
      deployment: c.deployment,
      flow: c.flow,
      flowRun: c.flowRun,
      api: { readBlockDocument: noReads, readBlockDocumentByName: noReads, readVariable: noReads },
      env: {},
      baseEnv: meta.baseEnv,
      worker: WORKER,
      prefectVersion: meta.version,
    });
    const ctx = { flowRun: c.flowRun, pool: { name: c.pool.name, type: c.pool.type } };
    const request = backend.prepare(config, ctx);
    const { pid } = await submitVia(backend, request, randomUUID(), ctx, { attempts: 1 });
    return { ok: { calls, pid } };
  } catch (error) {
    const e = error as Error;
    return { error: { class: e.name, message: e.message, calls } };
  }
}
