/**
 * Runs the ACI parity cases on both sides, each against its own local Azure Resource Manager
 * (test/peers/azure/armFake.ts; containers exit 0 on their own so Prefect's worker's watch ends):
 *
 * - Prefect's side: py/aci_worker_driver.py (ONE Python process for every case) —
 *   `AzureContainerJobConfiguration.resolve_for_flow_run` + the real `AzureContainerWorker.run`
 *   with the real Azure SDK clients;
 * - our side: `renderJobConfiguration` + `AciBackend.prepare/resolve/start` through the real TS
 *   adapter (functions/azure/aciApi.ts).
 * Each fake records the deployment PUTs its side sent; those are what the test compares.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AciBackend } from "../../../core/backends/azure-container-instance/index.ts";
import { submitToken } from "../../../core/backends/token.ts";
import { renderJobConfiguration } from "../../../core/job/render.ts";
import type { Deployment, Flow, FlowRun, JsonObject, WorkPool } from "../../../core/prefect/types.ts";
import { parseJson } from "../../../core/template/pyFloat.ts";
import { aciApiFactory } from "../../../functions/azure/aciApi.ts";
import type { ArmFake } from "../azure/armFake.ts";
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

export type SideOutcome =
  | { ok: { pid: string | null } }
  | { error: { class: string; message: string; pid?: string | null } };

export interface DriverOutput {
  meta: { baseEnv: Record<string, string>; version: string; defaultImage: string };
  results: Array<
    | { ok: { identifier: string; pid: string | null; status_code: number } }
    | { error: { class: string; message: string; pid: string | null } }
  >;
}

/**
 * Runs the driver with `input` on stdin; its stdout parsed (Python floats kept apart). Asynchronous:
 * the local ARM the worker talks to runs in this very process.
 */
async function runDriver(input: unknown, arm?: ArmFake): Promise<unknown> {
  const home = mkdtempSync(join(tmpdir(), "pushpool-aci-parity-"));
  const caFile = join(home, "arm-ca.pem");
  if (arm) writeFileSync(caFile, arm.ca);
  const proc = spawn(
    join(VENV_BIN, "python"),
    [join(REPO_ROOT, "test/peers/azure-parity/py/aci_worker_driver.py")],
    {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        PREFECT_HOME: join(home, ".prefect"),
        LANG: "C.UTF-8",
        ...ORACLE_SETTINGS,
        ...(arm ? { ARM_ENDPOINT: arm.endpoint, REQUESTS_CA_BUNDLE: caFile } : {}),
      },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  proc.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  proc.stdin.end(JSON.stringify(input));
  const code = await new Promise<number | null>((resolve) => proc.on("close", resolve));
  if (code !== 0) throw new Error(`aci_worker_driver.py failed (${code}): ${stderr}`);
  return parseJson(stdout);
}

/** prefect-azure's `AzureContainerWorker.get_default_base_job_template()`. */
export async function workerDefaultTemplate(): Promise<JsonObject> {
  return (await runDriver({ template: true })) as JsonObject;
}

/** Runs Prefect's ACI worker on every case against `arm`. */
export async function runPrefectWorker(arm: ArmFake, cases: CaseInput[]): Promise<DriverOutput> {
  return (await runDriver(
    { cases: cases.map((c) => encode({ ...c, workerName: WORKER.name, workerId: WORKER.id } as never)) },
    arm,
  )) as DriverOutput;
}

/** Renders and starts one case with pushpool against `arm` (a fresh claim). */
export async function runPushpool(
  arm: ArmFake,
  c: CaseInput,
  meta: DriverOutput["meta"],
): Promise<SideOutcome> {
  const agent = new Agent({ ca: arm.ca });
  const credential = {
    getToken: async () => ({ token: "fake-arm-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const backend = new AciBackend({ aciApiFor: aciApiFactory({ endpoint: arm.endpoint, credential, agent }) });
  const noReads = async () => {
    throw new Error("parity templates reference no blocks or variables");
  };
  const ctx = { flowRun: c.flowRun, pool: { name: c.pool.name, type: c.pool.type } };
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
    const launch = await backend.resolve(backend.prepare(config, ctx));
    const { pid } = await backend.start(launch, submitToken(c.flowRun.id, randomUUID()), ctx);
    return { ok: { pid } };
  } catch (error) {
    const e = error as Error;
    return { error: { class: e.name, message: e.message } };
  } finally {
    agent.destroy();
  }
}
