/**
 * @module
 * The tick heartbeats as a worker so the pool shows READY — as often as Prefect's own worker does
 * (every {@link HEARTBEAT_SECONDS}, `PREFECT_WORKER_HEARTBEAT_SECONDS`' default), not on every tick:
 * a local stack ticking every 5 s sent six heartbeats where a worker sends one. The server counts a
 * worker offline after three missed intervals, and the interval it is told is the real one. A failed
 * heartbeat is sent again at the next tick. Remembered per runtime (keyed by its queue) and pool, in
 * memory: a cold instance heartbeats on its first tick.
 */
import type { Deps } from "../runtime/deps.ts";

/** Prefect's worker default heartbeat interval (seconds). */
export const HEARTBEAT_SECONDS = 30;

const sent = new WeakMap<object, Map<string, number>>();

/** Heartbeats for `pool` when its last heartbeat from this runtime is an interval old (or never). */
export async function heartbeatIfDue(
  pool: string,
  tickSeconds: number,
  deps: Pick<Deps, "api" | "clock" | "queue" | "workerName">,
): Promise<boolean> {
  const intervalSeconds = Math.max(HEARTBEAT_SECONDS, Math.round(tickSeconds));
  const now = deps.clock.now().getTime();
  const pools = sent.get(deps.queue) ?? new Map<string, number>();
  sent.set(deps.queue, pools);
  // Due a tick early rather than a tick late: ticks do not land exactly on the interval.
  const last = pools.get(pool);
  if (last !== undefined && now - last < (intervalSeconds - tickSeconds / 2) * 1000) return false;
  await deps.api.heartbeat(pool, deps.workerName, intervalSeconds);
  pools.set(pool, now);
  return true;
}
