/**
 * @module
 * `pushpool doctor`: the start-up checks (core/runtime/preflight.ts) plus what each pool's backend
 * can check of its infrastructure (`Backend.doctor`: the Python of `process` flows; an `ecs` pool's
 * cluster, task definition and networking), printed as a table. Exit code 0 only when all pass.
 *
 * Pools of every type this install has a backend for are checked (`process`, served by
 * `pushpool local`; `ecs`, served by the AWS functions — checked with this machine's AWS identity).
 */
import { LocalBackend } from "../../core/backends/process/index.ts";
import { processSettingsFromEnv } from "../../core/backends/process/settings.ts";
import type { Backend } from "../../core/ports/backend.ts";
import type { CheckRow } from "../../core/ports/check.ts";
import { prefectClientFromEnv } from "../../core/prefect/fromEnv.ts";
import { nodeFetch } from "../../core/prefect/nodeFetch.ts";
import type { FlowRun, WorkPool } from "../../core/prefect/types.ts";
import { PUSHPOOL_VERSION } from "../../core/prefect/version.ts";
import { renderConfiguration } from "../../core/runs/dispatch.ts";
import { loadPoolReadOnly } from "../../core/runs/pools.ts";
import { type Config, containerBaseEnv, loadConfig } from "../../core/runtime/config.ts";
import { runPreflight } from "../../core/runtime/preflight.ts";
import { describeError } from "../../core/shared/errors.ts";

type Env = Record<string, string | undefined>;

/** The pool types doctor has a backend for (the ECS one is loaded only when a pool needs it). */
const TYPES = ["process", "ecs"];

export async function doctorRows(env: Env): Promise<CheckRow[]> {
  const config = loadConfig(env);
  const local = new LocalBackend(processSettingsFromEnv(env));
  const preflight = await runPreflight({
    ...config.prefect,
    pools: config.pools,
    servedTypes: TYPES,
    fetch: nodeFetch,
  });
  const rows = [...preflight.rows];
  if (config.pools.length === 0)
    rows.push({
      check: "work pools",
      ok: false,
      detail: "no work pools to check",
      fix: "pass --pools or set PUSHPOOL_POOLS",
    });
  let pythonChecked = false;
  for (const pool of preflight.pools.values()) {
    if (pool.type === local.type) pythonChecked = true;
    const backend = pool.type === local.type ? local : pool.type === "ecs" ? await ecsBackend(env) : null;
    if (backend?.doctor) rows.push(...(await poolRows(pool, backend, config, env)));
  }
  // Not yet known which pools are `process` ones (the API failed): the Python is checked anyway.
  if (!pythonChecked && !preflight.rows.every((r) => r.ok)) rows.push(await local.checkPython());
  return rows;
}

async function poolRows(found: WorkPool, backend: Backend, config: Config, env: Env): Promise<CheckRow[]> {
  const prefix = (row: CheckRow): CheckRow => ({ ...row, check: `${found.name}: ${row.check}` });
  try {
    const api = prefectClientFromEnv(env);
    // A pool created without a template renders with its type's default, as a run would.
    const pool = (await loadPoolReadOnly(api, found.name)) ?? found;
    const flowRun = doctorFlowRun(pool);
    const configuration = await renderConfiguration(
      flowRun,
      { deployment: null, flow: { id: flowRun.flow_id, name: "pushpool-doctor" }, pool, backend },
      {
        api,
        processEnv: env,
        containerEnv: containerBaseEnv(config),
        workerName: config.workerName,
        prefectVersion: PUSHPOOL_VERSION,
      },
    );
    const ctx = { flowRun, pool: { name: pool.name, type: pool.type } };
    return ((await backend.doctor?.(configuration, ctx)) ?? []).map(prefix);
  } catch (error) {
    return [
      prefix({
        check: "job configuration",
        ok: false,
        detail: `the base job template does not render: ${describeError(error)}`,
        fix: "fix the pool's base job template (prefect work-pool update)",
      }),
    ];
  }
}

/** A flow run that exists only to render the pool's defaults. */
function doctorFlowRun(pool: WorkPool): FlowRun {
  return {
    id: "00000000-0000-0000-0000-000000000000",
    name: "pushpool-doctor",
    flow_id: "00000000-0000-0000-0000-000000000001",
    deployment_id: null,
    work_pool_name: pool.name,
    state_type: null,
    state_name: null,
    state: null,
    parameters: {},
    job_variables: null,
    tags: [],
    infrastructure_pid: null,
    expected_start_time: null,
    next_scheduled_start_time: null,
    start_time: null,
    empirical_policy: {},
  };
}

async function ecsBackend(env: Env): Promise<Backend> {
  const [{ EcsBackend }, { ecsApiFactory }] = await Promise.all([
    import("../../core/backends/ecs/index.ts"),
    import("../aws/ecsApi.ts"),
  ]);
  return new EcsBackend({
    ecsApiFor: ecsApiFactory({ env }),
    defaults: { cluster: env.PUSHPOOL_ECS_CLUSTER?.trim() || undefined },
  }) as unknown as Backend;
}

/** check | result | detail (→ fix), columns padded; long cells are not cut. */
export function formatTable(rows: readonly CheckRow[], redact: (text: string) => unknown = (t) => t): string {
  const cells = rows.map((r) => [
    r.check,
    r.ok ? "ok" : "FAIL",
    String(redact(r.ok || !r.fix ? r.detail : `${r.detail} → fix: ${r.fix}`)),
  ]);
  const header = ["CHECK", "RESULT", "DETAIL / FIX"];
  const widths = [0, 1].map((i) => Math.max(header[i]?.length ?? 0, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (c: string[]) =>
    `${(c[0] ?? "").padEnd(widths[0] ?? 0)}  ${(c[1] ?? "").padEnd(widths[1] ?? 0)}  ${c[2] ?? ""}`;
  return [line(header), ...cells.map(line)].join("\n");
}
