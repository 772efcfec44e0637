/**
 * @module
 * Expired start leases (core/prefect/variableLease.ts) are Prefect Variables nobody needs any more:
 * the tick deletes them, at most once per {@link LEASE_SWEEP_MS} per instance (one filter request,
 * and a delete per expired lease). A failed sweep is logged and tried again at the next interval;
 * it never fails the tick.
 */
import { sweepLeases } from "../prefect/variableLease.ts";
import type { Deps } from "../runtime/deps.ts";
import { describeError } from "../shared/errors.ts";

/** How often an instance sweeps. */
export const LEASE_SWEEP_MS = 600_000;

const lastSweep = new WeakMap<object, number>();

/** Sweeps when this runtime (keyed by its queue) has not swept for {@link LEASE_SWEEP_MS}. */
export async function sweepLeasesNow(
  deps: Pick<Deps, "api" | "clock" | "logger" | "queue">,
): Promise<number> {
  const now = deps.clock.now().getTime();
  if (now - (lastSweep.get(deps.queue) ?? Number.NEGATIVE_INFINITY) < LEASE_SWEEP_MS) return 0;
  lastSweep.set(deps.queue, now);
  try {
    const deleted = await sweepLeases(deps.api, deps.clock);
    if (deleted > 0) deps.logger.info("deleted expired start leases", { deleted });
    return deleted;
  } catch (error) {
    deps.logger.debug("could not sweep start leases", { error: describeError(error) });
    return 0;
  }
}
