/**
 * @module
 * `pushpool render <flow-run-id>`: exactly what the infrastructure would get for a run, computed by
 * the code that submits it, with credentials masked. Submits nothing and changes no state.
 *
 * The job configuration is rendered with the dependencies the local stack builds (same worker name,
 * container env and inherited environment, functions/local/flowEnv.ts); the request is the
 * backend's own `prepare`, and for the `process` backend the very arguments `LocalBackend` passes
 * to `spawn` (command, arguments, working directory, the flow process's whole environment). The
 * caller's variables that a flow does not inherit (pushpool's webhook secrets, npm's `npm_*`) are
 * absent, not masked.
 */

import { CLAIM_TOKEN_TAG } from "../../core/backends/ecs/claimTask.ts";
import { EcsBackend } from "../../core/backends/ecs/index.ts";
import type { EcsRequest } from "../../core/backends/ecs/request.ts";
import { registrationSpec } from "../../core/backends/ecs/spec.ts";
import { LocalBackend, type ProcessRequest } from "../../core/backends/process/index.ts";
import { processSettingsFromEnv } from "../../core/backends/process/settings.ts";
import type { JobConfiguration } from "../../core/job/types.ts";
import type { Backend, BackendContext } from "../../core/ports/backend.ts";
import { silentLogger } from "../../core/ports/logger.ts";
import type { Queue } from "../../core/ports/queue.ts";
import type { PrefectApi } from "../../core/prefect/api.ts";
import { prefectClientFromEnv } from "../../core/prefect/fromEnv.ts";
import { renderConfiguration } from "../../core/runs/dispatch.ts";
import { loadPoolReadOnly } from "../../core/runs/pools.ts";
import { buildDeps } from "../../core/runtime/buildDeps.ts";
import { type Config, loadConfig } from "../../core/runtime/config.ts";
import type { Deps } from "../../core/runtime/deps.ts";
import { ValidationError } from "../../core/shared/errors.ts";
import type { PlainObject } from "../../core/shared/plain.ts";
import { createRedactor } from "../../core/shared/redact.ts";
import { flowEnvironment } from "./flowEnv.ts";

export interface Rendered {
  pool: { name: string; type: string };
  /** The job configuration the backend prepares its request from. */
  configuration: unknown;
  /** What the backend sends: for `process`, what `spawn` gets; else the backend's prepared request. */
  request: unknown;
}

/** Render submits nothing: a queue that refuses. */
const noQueue: Queue = {
  maxDelaySeconds: 0,
  send: async () => {
    throw new Error("pushpool render sends no message");
  },
};

export async function renderForFlowRun(
  flowRunId: string,
  options: {
    env: Record<string, string | undefined>;
    pool?: string;
    backends?: readonly Backend[];
  },
): Promise<Rendered> {
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
  const deps = await runtimeDeps(pool.type, config, api, options);
  const backend = deps.backends.get(pool.type) ?? null;
  const configuration = await renderConfiguration(run, { deployment, flow, pool, backend }, deps);
  const request = backend
    ? requestOf(backend, configuration, { flowRun: run, pool: { name: pool.name, type: pool.type } })
    : `no backend in this runtime serves pool type '${pool.type}'`;
  const redact = createRedactor([
    config.prefect.apiKey,
    config.prefect.authString,
    options.env.PUSHPOOL_WEBHOOK_SECRET,
  ]);
  return {
    pool: { name: pool.name, type: pool.type },
    configuration: redact(configuration),
    request: redact(request),
  };
}

/**
 * The dependencies the runtime that serves this pool type builds: the ECS backend as the AWS
 * functions wire it (functions/aws/wiring.ts, loaded for `ecs` pools only), else the process
 * backend as the local stack wires it (functions/local/stack.ts). Render's own client and a silent
 * logger: stdout carries the JSON only.
 */
async function runtimeDeps(
  type: string,
  config: Config,
  api: PrefectApi,
  options: { env: Record<string, string | undefined>; backends?: readonly Backend[] },
): Promise<Deps> {
  if (!options.backends && type === "ecs") {
    const { createRuntime } = await import("../aws/wiring.ts");
    const aws = await createRuntime({ env: options.env, queue: noQueue });
    return { ...aws.deps, api, logger: silentLogger };
  }
  const flowEnv = flowEnvironment(options.env);
  const backends = options.backends ?? [
    new LocalBackend({ inheritEnv: flowEnv, ...processSettingsFromEnv(options.env) }) as Backend,
  ];
  return buildDeps({ config, api, backends, queue: noQueue, logger: silentLogger, processEnv: flowEnv });
}

/** What the backend sends for this configuration: `spawn`'s arguments for `process`, else its request. */
function requestOf(backend: Backend, configuration: JobConfiguration, ctx: BackendContext): unknown {
  const prepared = backend.prepare(configuration, ctx);
  if (backend instanceof LocalBackend) return backend.spawnSpec(prepared as ProcessRequest);
  if (backend instanceof EcsBackend) return ecsRequestView(prepared as EcsRequest);
  return prepared;
}

/**
 * An ECS submit's API input: the RegisterTaskDefinition input (or the linked task definition) and
 * the RunTask request, less what only the submit knows — the task definition's ARN, the network
 * configuration (looked up), the client token and the claim-token tag (from the claim).
 */
function ecsRequestView(r: EcsRequest) {
  const plan = r.taskDefinition;
  return {
    registerTaskDefinition:
      plan.kind === "spec" ? registrationSpec({ ...plan, spec: plan.spec as unknown as PlainObject }) : null,
    taskDefinitionArn: plan.kind === "arn" ? plan.arn : null,
    runTask: r.runTask,
    resolvedAtSubmit: ["taskDefinition", "networkConfiguration", "clientToken", CLAIM_TOKEN_TAG],
  };
}
