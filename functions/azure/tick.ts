/**
 * @module
 * The timer trigger each minute (matching `PUSHPOOL_TICK_SECONDS`): for each pool in
 * `PUSHPOOL_POOLS`, heartbeat as a worker and enqueue the scheduled runs due before the next tick
 * on the Storage Queue, hidden until `scheduled − lead` (core/runs/tick.ts); then reconcile the
 * pools' in-flight runs (core/runs/reconcile.ts: start timeout, exit codes, crash logs, cleanup).
 * Failures are logged per pool/run and never thrown: the next tick retries.
 */
import type { InvocationContext, Timer } from "@azure/functions";
import { type ReconcileResult, reconcile } from "../../core/runs/reconcile.ts";
import { type PoolTick, tick } from "../../core/runs/tick.ts";
import { tickOptions } from "../../core/runtime/buildDeps.ts";
import { describeError } from "../../core/shared/errors.ts";
import { type AzureRuntime, runtime } from "./wiring.ts";

export interface TickResult {
  ticked: PoolTick[];
  reconciled: ReconcileResult[];
  error?: string;
}

export function makeTickHandler(getRuntime: () => Promise<AzureRuntime> = runtime) {
  return async (_timer?: Timer, _context?: InvocationContext): Promise<TickResult> => {
    const { config, deps, logger } = await getRuntime();
    const ticked = await tick(tickOptions(config), deps);
    try {
      const reconciled = await reconcile(config.pools, deps);
      const acted = reconciled.filter((r) => r.action !== "none");
      logger.info("tick done", { pools: config.pools.length, reconciled: acted.length });
      return { ticked, reconciled };
    } catch (error) {
      logger.error("reconcile failed", { error: describeError(error) });
      return { ticked, reconciled: [], error: describeError(error) };
    }
  };
}

export const handler = makeTickHandler();
