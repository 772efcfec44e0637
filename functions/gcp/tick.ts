/**
 * @module
 * The tick function: HTTP, invoked by Cloud Scheduler every minute (OIDC), matching
 * `PUSHPOOL_TICK_SECONDS`. For each pool in `PUSHPOOL_POOLS`: heartbeat as a worker and put the
 * scheduled runs due before the next tick on the Cloud Tasks queue, each delivered at
 * `scheduled − lead` (core/runs/tick.ts); then reconcile the pools' runs in flight
 * (core/runs/reconcile.ts), the fallback for every infrastructure state. Failures are logged per
 * pool/run and never fail the request: the next tick retries. Answers 200 with a summary.
 */
import type { Request, Response } from "@google-cloud/functions-framework";
import { scheduledTick } from "../../core/runtime/scheduledTick.ts";
import { reply, runtimeOr500 } from "./http.ts";
import { type GcpRuntime, runtime } from "./wiring.ts";

export function makeTickHandler(getRuntime: () => Promise<GcpRuntime> = runtime) {
  return async (_req: Request, res: Response): Promise<void> => {
    const rt = await runtimeOr500(getRuntime, res, "tick");
    if (!rt) return;
    reply(res, 200, await scheduledTick(rt));
  };
}

export const tickHandler = makeTickHandler();
