/**
 * @module
 * The one entry point dispatch uses to turn a flow run into a job configuration, exactly as
 * Prefect's worker does in `resolve_for_flow_run`: merge the deployment's and the run's job
 * variables, render the pool's base job template with them, then prepare it for the run.
 */
import type { Backend } from "../ports/backend.ts";
import type { PrefectApi } from "../prefect/api.ts";
import type { Deployment, Flow, FlowRun, WorkPool } from "../prefect/types.ts";
import { fromTemplateAndValues } from "./fromTemplate.ts";
import { mergeJobVariables } from "./jobVariables.ts";
import { prepareForFlowRun } from "./prepare.ts";
import type { JobConfiguration } from "./types.ts";

export interface RenderInput {
  pool: WorkPool;
  deployment: Deployment | null;
  flow: Flow;
  flowRun: FlowRun;
  /** Reads the block documents and variables the template references. */
  api: Pick<PrefectApi, "readBlockDocument" | "readBlockDocumentByName" | "readVariable">;
  /** The dispatcher's environment, read by `{{ $NAME }}` placeholders (never `process.env` in core). */
  env: Readonly<Record<string, string | undefined>>;
  /** Prefect settings the container must see: PREFECT_API_URL and the credential variables. */
  baseEnv: Readonly<Record<string, string>>;
  /** The worker identity pushpool heartbeats under. */
  worker: { name: string; id?: string | null };
  /** Label `prefect.io/version`. */
  prefectVersion: string;
  /** The pool type's backend: its own part of the preparation (`adaptPrepared`), if any. */
  backend?: Pick<Backend, "adaptPrepared"> | null;
}

/**
 * Renders the job configuration of one flow run. Throws a `TemplateError` (a `ValidationError`,
 * not retryable) when the template cannot be rendered, e.g. a referenced block no longer exists.
 */
export async function renderJobConfiguration(input: RenderInput): Promise<JobConfiguration> {
  const values = mergeJobVariables(input.deployment?.job_variables, input.flowRun.job_variables);
  const config = await fromTemplateAndValues(input.pool.base_job_template, values, {
    api: input.api,
    env: input.env,
  });
  return prepareForFlowRun(config, {
    flowRun: input.flowRun,
    deployment: input.deployment,
    flow: input.flow,
    pool: input.pool,
    workerName: input.worker.name,
    workerId: input.worker.id ?? null,
    prefectVersion: input.prefectVersion,
    baseEnv: input.baseEnv,
    env: input.env,
    adapt: input.backend?.adaptPrepared?.bind(input.backend),
  });
}
