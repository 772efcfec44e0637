/**
 * @module
 * The timer trigger each minute (matching `PUSHPOOL_TICK_SECONDS`): for each pool in
 * `PUSHPOOL_POOLS`, heartbeat as a worker and enqueue the scheduled runs due before the next tick
 * on the Storage Queue, hidden until `scheduled − lead` (core/runs/tick.ts); then reconcile the
 * pools' in-flight runs (core/runs/reconcile.ts: start timeout, exit codes, crash logs, cleanup).
 * Failures are logged per pool/run and never thrown: the next tick retries.
 */
import type { InvocationContext, Timer } from "@azure/functions";
import { scheduledTick, type TickResult } from "../../core/runtime/scheduledTick.ts";
import { type AzureRuntime, runtime } from "./wiring.ts";

export function makeTickHandler(getRuntime: () => Promise<AzureRuntime> = runtime) {
  return async (_timer?: Timer, _context?: InvocationContext): Promise<TickResult> =>
    await scheduledTick(await getRuntime());
}

export const handler = makeTickHandler();
