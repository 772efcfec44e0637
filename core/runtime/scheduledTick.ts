/**
 * @module
 * One scheduled tick, as every cloud runtime's timer runs it: the tick (heartbeat, enqueue the due
 * runs, clean up) for every served pool, then the reconcile of the runs in flight. Never throws:
 * failures are logged per pool or run, and the next tick retries.
 */
import type { Logger } from "../ports/logger.ts";
import { type ReconcileResult, reconcile } from "../runs/reconcile.ts";
import { type PoolTick, tick } from "../runs/tick.ts";
import { describeError } from "../shared/errors.ts";
import { tickOptions } from "./buildDeps.ts";
import type { Config } from "./config.ts";
import type { Deps } from "./deps.ts";

export interface TickResult {
  ticked: PoolTick[];
  reconciled: ReconcileResult[];
  error?: string;
}

export async function scheduledTick(rt: { config: Config; deps: Deps; logger: Logger }): Promise<TickResult> {
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
}
