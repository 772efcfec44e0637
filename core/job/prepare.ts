/**
 * @module
 * Prefect's `prepare_for_flow_run`: stamp a rendered job configuration with what the flow run
 * needs — the environment the container starts with, the `prefect.io/*` labels, the
 * infrastructure name and the command.
 */
import type { PreparedContext } from "../ports/backend.ts";
import type { Deployment, Flow, FlowRun, Json, JsonObject, WorkPool } from "../prefect/types.ts";
import { applyValues, isNotSet } from "../template/applyValues.ts";
import { copyDict, pyEntries } from "../template/pyDict.ts";
import { pyStr } from "../template/pyStr.ts";
import { pyTruthy, setOwn } from "../template/pyValue.ts";
import type { JobConfiguration, TemplatedJobConfiguration } from "./types.ts";

/** The command a worker starts a flow run with; the run id travels in `PREFECT__FLOW_RUN_ID`. */
export const FLOW_RUN_COMMAND = "prefect flow-run execute";

export interface PrepareContext {
  flowRun: FlowRun;
  deployment: Deployment | null;
  flow: Flow | null;
  pool: Pick<WorkPool, "id" | "name" | "type"> | null;
  /** The worker name pushpool heartbeats under (label `prefect.io/worker-name`, `PREFECT__WORKER_NAME`). */
  workerName: string | null;
  workerId?: string | null;
  /** Label `prefect.io/version`: the Prefect version pushpool speaks for. */
  prefectVersion: string;
  /**
   * The Prefect settings the container must see (PREFECT_API_URL, PREFECT_API_KEY or
   * PREFECT_API_AUTH_STRING, …): what a worker passes from its own explicitly-set settings.
   */
  baseEnv?: Readonly<Record<string, string>>;
  /**
   * The dispatcher's environment: read by `{{ $NAME }}` in the name, and handed to the backend's
   * own step (a type whose flows inherit the worker's environment adds it there).
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The backend type's own part of the preparation (core/ports/backend.ts `adaptPrepared`). */
  adapt?(prepared: JobConfiguration, ctx: PreparedContext): JobConfiguration;
}

/** Returns the prepared configuration; `config` is not modified. */
export function prepareForFlowRun(config: TemplatedJobConfiguration, ctx: PrepareContext): JobConfiguration {
  const { flowRun, deployment, flow, pool } = ctx;
  const merged: Record<string, string | null> = {
    ...ctx.baseEnv,
    PREFECT__FLOW_RUN_ID: flowRun.id,
    ...attributionEnv(ctx),
  };
  for (const [key, value] of pyEntries(config.env)) setOwn(merged, key, value);
  const env: Record<string, string> = {};
  for (const [key, value] of pyEntries(merged)) if (value !== null) setOwn(env, key, value);

  const labels: Record<string, string> = {
    "prefect.io/flow-run-id": flowRun.id,
    "prefect.io/flow-run-name": flowRun.name,
    "prefect.io/version": ctx.prefectVersion,
  };
  if (pool)
    Object.assign(labels, { "prefect.io/work-pool-name": pool.name, "prefect.io/work-pool-id": pool.id });
  if (ctx.workerName != null) labels["prefect.io/worker-name"] = ctx.workerName;
  if (flow) Object.assign(labels, { "prefect.io/flow-id": flow.id, "prefect.io/flow-name": flow.name });
  if (deployment) {
    labels["prefect.io/deployment-id"] = deployment.id;
    labels["prefect.io/deployment-name"] = deployment.name;
    if (deployment.updated != null)
      labels["prefect.io/deployment-updated"] = utcIsoformat(deployment.updated);
  }
  for (const [key, value] of pyEntries(config.labels)) setOwn(labels, key, value);

  const prepared = copyDict<Json | undefined>(config) as JobConfiguration; // keeps the config's key order
  prepared.env = env;
  prepared.labels = labels;
  prepared.name = renderName(config.name, ctx);
  prepared.command = config.command || FLOW_RUN_COMMAND;
  return ctx.adapt ? ctx.adapt(prepared, { rendered: config, env: ctx.env ?? {} }) : prepared;
}

/** `PREFECT__WORKER_*`, `PREFECT__FLOW_*` and `PREFECT__DEPLOYMENT_*`, each only when known. */
function attributionEnv(ctx: PrepareContext): Record<string, string> {
  const env: Record<string, string> = {};
  if (ctx.workerId != null) env.PREFECT__WORKER_ID = ctx.workerId;
  if (ctx.workerName != null) env.PREFECT__WORKER_NAME = ctx.workerName;
  if (ctx.flowRun.flow_id) env.PREFECT__FLOW_ID = ctx.flowRun.flow_id;
  if (ctx.flow?.name) env.PREFECT__FLOW_NAME = ctx.flow.name;
  if (ctx.flowRun.deployment_id) env.PREFECT__DEPLOYMENT_ID = ctx.flowRun.deployment_id;
  if (ctx.deployment?.name) env.PREFECT__DEPLOYMENT_NAME = ctx.deployment.name;
  return env;
}

/**
 * The name rendered with `{{ ctx.flow.* }}` / `{{ ctx.flow_run.* }}`; a whole-string placeholder
 * with no value leaves it as is; a falsy result falls back to the flow run's name.
 */
function renderName(name: string | null, ctx: PrepareContext): string {
  let rendered: Json = name;
  if (name) {
    const values: JsonObject = {
      ctx: { flow: (ctx.flow ?? {}) as JsonObject, flow_run: ctx.flowRun as unknown as JsonObject },
    };
    const applied = applyValues(name, values, { env: ctx.env });
    if (!isNotSet(applied)) rendered = applied as Json;
  }
  if (!pyTruthy(rendered)) return ctx.flowRun.name;
  return pyStr(rendered);
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Python's `datetime.astimezone(UTC).isoformat()` of an API timestamp:
 * `2026-08-21T12:00:00.123456+00:00`, without the fraction when it is zero. Text that does not
 * parse is returned unchanged.
 */
export function utcIsoformat(text: string): string {
  const m = ISO.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s = "00", frac = "", zone = "Z"] = m;
  let offsetMinutes = 0;
  if (zone !== "Z" && zone !== "z") {
    const digits = zone.slice(1).replace(":", "");
    const sign = zone.startsWith("-") ? -1 : 1;
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0"));
  }
  const ms =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offsetMinutes * 60_000;
  const t = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const micros = frac.slice(0, 6).padEnd(6, "0");
  const date = `${String(t.getUTCFullYear()).padStart(4, "0")}-${p2(t.getUTCMonth() + 1)}-${p2(t.getUTCDate())}`;
  const time = `${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}`;
  return `${date}T${time}${/^0+$/.test(micros) ? "" : `.${micros}`}+00:00`;
}
