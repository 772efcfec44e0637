/**
 * @module
 * The backend map a runtime serves: each runtime lists the backends it can wire (AWS: `ecs`; the
 * local stack: `process`), and core finds a pool's backend by the pool's type. Core never names a
 * type; everything a type knows is on its {@link Backend}.
 */
import type { Backend } from "../ports/backend.ts";
import { ConfigError } from "../shared/errors.ts";

export type BackendMap = ReadonlyMap<string, Backend>;

/** Dispatch lead for a pool type no backend here serves (its dispatches are skipped anyway). */
export const UNKNOWN_TYPE_LEAD_SECONDS = 30;

/** The map of backends by pool type; two backends for one type are a configuration error. */
export function backendRegistry(backends: readonly Backend[]): BackendMap {
  const map = new Map<string, Backend>();
  for (const backend of backends) {
    if (map.has(backend.type)) throw new ConfigError(`two backends serve pool type '${backend.type}'`);
    map.set(backend.type, backend);
  }
  return map;
}

/** The dispatch lead of a pool type: the configured one, else its backend's typical start-up. */
export function leadFor(backends: BackendMap, configured?: number): (poolType: string) => number {
  return (type) => configured ?? backends.get(type)?.leadSeconds ?? UNKNOWN_TYPE_LEAD_SECONDS;
}
