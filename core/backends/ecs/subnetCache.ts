/**
 * @module
 * VPC subnet discovery, remembered for a minute per AWS port. Prefect's worker asks EC2 for the
 * VPC and its subnets before every RunTask; in a burst that is two EC2 round trips (and their XML)
 * per run for an answer that does not change. A warm function instance reuses the answer for
 * {@link SUBNET_TTL_MS}; concurrent look-ups share one request; failures are never remembered.
 * A subnet deleted within that minute fails RunTask like any invalid subnet would.
 */
import type { EcsApi } from "./port.ts";

export const SUBNET_TTL_MS = 60_000;

interface Entry {
  at: number;
  subnets: Promise<string[]>;
}

const byApi = new WeakMap<EcsApi, Map<string, Entry>>();

/** `discover` once per api and VPC (`null` = the default VPC) per {@link SUBNET_TTL_MS}. */
export function rememberedSubnets(
  api: EcsApi,
  vpcId: string | null,
  discover: () => Promise<string[]>,
  now: () => number = () => performance.now(),
): Promise<string[]> {
  let entries = byApi.get(api);
  if (!entries) {
    entries = new Map();
    byApi.set(api, entries);
  }
  const key = vpcId ?? "";
  const hit = entries.get(key);
  if (hit && now() - hit.at < SUBNET_TTL_MS) return hit.subnets;
  const subnets = discover();
  const entry = { at: now(), subnets };
  entries.set(key, entry);
  subnets.catch(() => {
    if (entries.get(key) === entry) entries.delete(key);
  });
  return subnets;
}
