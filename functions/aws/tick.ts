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
import { scheduledTick, type TickResult } from "../../core/runtime/scheduledTick.ts";
import { type AwsRuntime, runtime } from "./wiring.ts";

export function makeTickHandler(getRuntime: () => Promise<AwsRuntime> = runtime) {
  return async (_event?: unknown, context?: Context): Promise<TickResult> => {
    const rt = await getRuntime();
    rt.logger.withContext(context);
    return await scheduledTick(rt);
  };
}

export const handler = makeTickHandler();
