/**
 * Renders one Vertex parity case on both sides:
 *
 * - Prefect's side: py/vertex_driver.py (ONE Python process for every case) —
 *   `VertexAIWorkerJobConfiguration.resolve_for_flow_run` (the worker's own prepare), the worker's
 *   `_get_compatible_labels` and the configuration's `job_name`; given the JobService fake's gRPC
 *   address, also the worker's own `run()` for every case that resolves (its CreateCustomJob is
 *   recorded by the fake). The process runs asynchronously: the fake answers from this process;
 * - our side: `renderJobConfiguration` + `VertexBackend.prepare` (pure) and the CreateCustomJob
 *   body of a fresh claim (`customJobBody`), which the test then sends to the JobService fake
 *   through the real client.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keyProject, readGcpCredentials } from "../../../core/backends/cloud-run-v2/credentials.ts";
import { customJobBody, VertexBackend, type VertexRequest } from "../../../core/backends/vertex-ai/index.ts";
import { renderJobConfiguration } from "../../../core/job/render.ts";
import type { JsonObject } from "../../../core/prefect/types.ts";
import { parseJson } from "../../../core/template/pyFloat.ts";
import { REPO_ROOT, VENV_BIN } from "../prefectServer.ts";
import { encode, ORACLE_SETTINGS } from "../pyOracle.ts";
import { type CaseInput, caseInput, WORKER } from "./harness.ts";

/** What the worker's own `run()` returned for a case (or how it failed). */
export type VertexRun =
  | { statusCode: number; identifier: string; apiEndpoint: string | null }
  | { error: { class: string; message: string } };

export interface VertexOk {
  jobSpec: JsonObject;
  displayName: string;
  labels: Record<string, string>;
  project: string | null;
  region: string;
}

export type VertexOutcome = { ok: VertexOk; run?: VertexRun } | { error: { class: string; message: string } };

export interface VertexDriverOutput {
  meta: { baseEnv: Record<string, string>; version: string; workerTemplate: JsonObject; aiplatform: boolean };
  results: VertexOutcome[];
}

/** Our side: the outcome, plus the request and the claim's CreateCustomJob body when it renders. */
export interface OurSide {
  outcome: VertexOutcome;
  request?: VertexRequest;
  token?: string;
  body?: ReturnType<typeof customJobBody>;
}

/** The run-as account our body carries when it is the function's own (ADC): asked at start time. */
export const ADC_ACCOUNT = "function-identity@parity-adc-project.iam.gserviceaccount.com";

export async function runVertexDriver(input: unknown): Promise<VertexDriverOutput> {
  const home = mkdtempSync(join(tmpdir(), "pushpool-vertex-parity-"));
  const proc = spawn(
    join(VENV_BIN, "python"),
    [join(REPO_ROOT, "test/peers/gcp-parity/py/vertex_driver.py")],
    {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        PREFECT_HOME: join(home, ".prefect"),
        LANG: "C.UTF-8",
        ...ORACLE_SETTINGS,
      },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout.on("data", (chunk: Buffer) => out.push(chunk));
  proc.stderr.on("data", (chunk: Buffer) => err.push(chunk));
  const code = new Promise<number | null>((resolve, reject) => {
    proc.on("error", reject);
    proc.on("close", resolve);
  });
  proc.stdin.end(JSON.stringify(input));
  const status = await code;
  if (status !== 0)
    throw new Error(`vertex_driver.py failed (${status}): ${Buffer.concat(err).toString("utf8")}`);
  return parseJson(Buffer.concat(out).toString("utf8")) as unknown as VertexDriverOutput;
}

/** Prefect's side of every case; with `grpc` (host:port of the fake's gRPC face), the worker's run() too. */
export function runPrefectVertex(cases: CaseInput[], grpc?: string): Promise<VertexDriverOutput> {
  return runVertexDriver({
    cases: cases.map((c) => encode({ ...c, workerName: WORKER.name, workerId: WORKER.id } as never)),
    ...(grpc ? { grpc } : {}),
  });
}

/** A case's pool, deployment and flow run for a `vertex-ai` pool. */
export function vertexCaseInput(
  label: string,
  template: JsonObject,
  vars: JsonObject,
  runVars: JsonObject = {},
  runName?: string,
): CaseInput {
  const input = caseInput(label, template, vars, runVars, runName);
  input.pool.type = "vertex-ai";
  return input;
}

/** Renders and prepares one case with pushpool, and builds a fresh claim's CreateCustomJob body. */
export async function runPushpoolVertex(c: CaseInput, meta: VertexDriverOutput["meta"]): Promise<OurSide> {
  const backend = new VertexBackend({
    vertexApiFor: () => {
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
    const account = request.serviceAccountKnown ? String(request.job.jobSpec.serviceAccount) : ADC_ACCOUNT;
    const body = customJobBody(request, token, account);
    const auth = readGcpCredentials(request.credentials);
    const project = auth.project ?? (auth.kind === "key" ? keyProject(auth.key) : null);
    return {
      outcome: {
        ok: {
          jobSpec: structuredClone(request.preparedJobSpec) as JsonObject,
          displayName: body.displayName,
          labels: { ...body.labels },
          project,
          region: request.region,
        },
      },
      request,
      token,
      body,
    };
  } catch (error) {
    const e = error as Error;
    return { outcome: { error: { class: e.name, message: e.message } } };
  }
}
