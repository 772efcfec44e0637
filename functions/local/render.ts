/**
 * @module
 * `pushpool render <flow-run-id>`: the exact job configuration and backend request pushpool would
 * submit for a run, with credentials masked. Submits nothing and changes no state.
 */

import { LocalBackend } from "../../core/backends/process/index.ts";
import { processSettingsFromEnv } from "../../core/backends/process/settings.ts";
import { backendRegistry } from "../../core/backends/registry.ts";
import type { Backend } from "../../core/ports/backend.ts";
import { prefectClientFromEnv } from "../../core/prefect/fromEnv.ts";
import { PUSHPOOL_VERSION } from "../../core/prefect/version.ts";
import { renderConfiguration } from "../../core/runs/dispatch.ts";
import { loadPoolReadOnly } from "../../core/runs/pools.ts";
import { containerBaseEnv, loadConfig } from "../../core/runtime/config.ts";
import { ValidationError } from "../../core/shared/errors.ts";
import { createRedactor } from "../../core/shared/redact.ts";

export async function renderForFlowRun(
  flowRunId: string,
  options: {
    env: Record<string, string | undefined>;
    pool?: string;
    backends?: ReadonlyMap<string, Backend>;
  },
): Promise<{ pool: { name: string; type: string }; configuration: unknown; request: unknown }> {
  const config = loadConfig(options.env);
  const api = prefectClientFromEnv(options.env);
  const run = await api.readFlowRun(flowRunId);
  if (!run) throw new ValidationError(`flow run ${flowRunId} not found`);
  const poolName = options.pool ?? run.work_pool_name;
  if (!poolName) throw new ValidationError(`flow run ${flowRunId} has no work pool; pass --pool`);
  const [deployment, flow, pool] = await Promise.all([
    run.deployment_id ? api.readDeployment(run.deployment_id) : Promise.resolve(null),
    api.readFlow(run.flow_id),
    loadPoolReadOnly(api, poolName),
  ]);
  if (!flow) throw new ValidationError(`flow ${run.flow_id} not found`);
  if (!pool) throw new ValidationError(`work pool '${poolName}' not found`);
  const backends =
    options.backends ?? backendRegistry([new LocalBackend(processSettingsFromEnv(options.env)) as Backend]);
  const backend = backends.get(pool.type);
  const configuration = await renderConfiguration(
    run,
    { deployment, flow, pool, backend },
    {
      api,
      processEnv: options.env,
      containerEnv: containerBaseEnv(config),
      workerName: config.workerName,
      prefectVersion: PUSHPOOL_VERSION,
    },
  );
  const request = backend
    ? backend.prepare(configuration, { flowRun: run, pool: { name: pool.name, type: pool.type } })
    : `no backend in this runtime serves pool type '${pool.type}'`;
  const redact = createRedactor([config.prefect.apiKey, config.prefect.authString]);
  return {
    pool: { name: pool.name, type: pool.type },
    configuration: redact(configuration),
    request: redact(request),
  };
}
