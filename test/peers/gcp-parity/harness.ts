/**
 * Renders one parity case on both sides:
 *
 * - Prefect's side: py/cloud_run_v2_driver.py (ONE Python process for every case) —
 *   `CloudRunWorkerJobV2Configuration.resolve_for_flow_run`, the worker's own prepare;
 * - our side: `renderJobConfiguration` + `CloudRunBackend.prepare` (no cloud call: prepare is pure).
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudRunBackend, jobIdFor, readGcpCredentials } from "../../../core/backends/cloud-run-v2/index.ts";
import { renderJobConfiguration } from "../../../core/job/render.ts";
import type { Deployment, Flow, FlowRun, JsonObject, WorkPool } from "../../../core/prefect/types.ts";
import { parseJson } from "../../../core/template/pyFloat.ts";
import { REPO_ROOT, VENV_BIN } from "../prefectServer.ts";
import { encode, ORACLE_SETTINGS } from "../pyOracle.ts";

export const WORKER = { name: "pushpool-parity-worker", id: "6b1f8e0e-63c1-4b5e-9d7a-7f0d0e0c4c11" };

export interface CaseInput {
  label: string;
  pool: WorkPool;
  deployment: Deployment;
  flowRun: FlowRun;
  flow: Flow;
}

/** What each side produced for one case. */
export type Outcome =
  | { ok: { jobBody: JsonObject; jobName: string; project: string | null; region: string; keepJob: boolean } }
  | { error: { class: string; message: string } };

export interface DriverOutput {
  meta: {
    baseEnv: Record<string, string>;
    version: string;
    defaultImage: string;
    workerTemplate: JsonObject;
  };
  results: Outcome[];
}

function runDriver(input: unknown): unknown {
  const home = mkdtempSync(join(tmpdir(), "pushpool-cloudrun-parity-"));
  const proc = spawnSync(
    join(VENV_BIN, "python"),
    [join(REPO_ROOT, "test/peers/gcp-parity/py/cloud_run_v2_driver.py")],
    {
      input: JSON.stringify(input),
      env: {
        PATH: process.env.PATH,
        HOME: home,
        PREFECT_HOME: join(home, ".prefect"),
        LANG: "C.UTF-8",
        ...ORACLE_SETTINGS,
      },
      maxBuffer: 64 * 1024 * 1024,
      encoding: "utf8",
    },
  );
  if (proc.status !== 0) throw new Error(`cloud_run_v2_driver.py failed (${proc.status}): ${proc.stderr}`);
  return parseJson(proc.stdout);
}

/** prefect-gcp's `CloudRunWorkerV2.get_default_base_job_template()`. */
export function workerDefaultTemplate(): JsonObject {
  return runDriver({}) as JsonObject;
}

export function runPrefect(cases: CaseInput[]): DriverOutput {
  return runDriver({
    cases: cases.map((c) => encode({ ...c, workerName: WORKER.name, workerId: WORKER.id } as never)),
  }) as DriverOutput;
}

/** Renders and prepares one case with pushpool; the job id for a fresh claim token. */
export async function runPushpool(c: CaseInput, meta: DriverOutput["meta"]): Promise<Outcome> {
  const backend = new CloudRunBackend({
    cloudRunApiFor: () => {
      throw new Error("prepare reaches no cloud");
    },
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
    const request = backend.prepare(config, {
      flowRun: c.flowRun,
      pool: { name: c.pool.name, type: c.pool.type },
    });
    const token = `pp-${randomUUID().replaceAll("-", "")}`;
    return {
      ok: {
        jobBody: request.job as unknown as JsonObject,
        jobName: jobIdFor(request.name, token),
        project: readGcpCredentials(request.credentials).project,
        region: request.region,
        keepJob: request.keepJob,
      },
    };
  } catch (error) {
    const e = error as Error;
    return { error: { class: e.name, message: e.message } };
  }
}

const flow: Flow = { id: randomUUID(), name: "etl-flow", tags: [], labels: {} };

/** The pool, deployment and flow run of one case (fresh ids). */
export function caseInput(
  label: string,
  template: JsonObject,
  vars: JsonObject,
  runVars: JsonObject = {},
  runName = "dancing-dolphin",
): CaseInput {
  const poolName = `cloud-run-parity-${randomUUID().slice(0, 6)}`;
  const deployment: Deployment = {
    id: randomUUID(),
    name: "nightly",
    flow_id: flow.id,
    updated: "2026-08-21T12:00:00.123456Z",
    version: "1",
    parameters: {},
    job_variables: vars,
    work_pool_name: poolName,
    work_queue_name: "default",
    tags: [],
  };
  const flowRun: FlowRun = {
    id: randomUUID(),
    name: runName,
    flow_id: flow.id,
    deployment_id: deployment.id,
    work_pool_name: poolName,
    work_queue_name: "default",
    state_type: "SCHEDULED",
    state_name: "Scheduled",
    state: null,
    parameters: {},
    job_variables: runVars,
    tags: [],
    labels: {},
    infrastructure_pid: null,
    expected_start_time: null,
    next_scheduled_start_time: null,
    start_time: null,
    empirical_policy: {},
  };
  return {
    label,
    pool: {
      id: randomUUID(),
      name: poolName,
      type: "cloud-run-v2",
      base_job_template: template,
      is_paused: false,
      concurrency_limit: null,
      status: "READY",
    },
    deployment,
    flowRun,
    flow,
  };
}
