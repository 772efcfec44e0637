/**
 * @module
 * Lambda handler for the tick (EventBridge `schedule: rate(1 minute)`, matching
 * `PUSHPOOL_TICK_SECONDS`): for each pool in `PUSHPOOL_POOLS`, heartbeat as a worker and enqueue the
 * scheduled runs due before the next tick on the SQS dispatch queue with
 * `DelaySeconds = scheduled − lead − now` (core/tick.ts); then reconcile the pools' in-flight runs
 * (core/reconcile.ts). Failures are logged per pool/run and never thrown: the next tick retries.
 *
 * Export: `handler` (functions/aws/tick.handler).
 */
import type { Context } from "aws-lambda";
import { type ReconcileResult, reconcile } from "../../core/runs/reconcile.ts";
import { type PoolTick, tick } from "../../core/runs/tick.ts";
import { tickOptions } from "../../core/runtime/buildDeps.ts";
import { describeError } from "../../core/shared/errors.ts";
import { type AwsRuntime, runtime } from "./wiring.ts";

export interface TickResult {
  ticked: PoolTick[];
  reconciled: ReconcileResult[];
  error?: string;
}

export function makeTickHandler(getRuntime: () => Promise<AwsRuntime> = runtime) {
  return async (_event?: unknown, context?: Context): Promise<TickResult> => {
    const rt = await getRuntime();
    rt.logger.withContext(context);
    const { config, deps, logger } = rt;
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
