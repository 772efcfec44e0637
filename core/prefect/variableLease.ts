/**
 * @module
 * {@link StartLease} on the Prefect server: a lease is a Prefect Variable, and creating a variable
 * is the one compare-and-set the REST API offers (a second create of the same name answers 409).
 *
 * A lease `key` lives in generations: `pushpool-lease-<key>-<n>`, each holding its expiry. The
 * first caller to create generation n holds the lease; a caller that finds generation n expired
 * races for n + 1, so an expired lease is taken over by exactly one caller without a delete that
 * could remove a newer holder's lease. Each value also names its holder, so a create that the
 * server applied but whose answer was lost (the client retries it into a 409) still reads as held
 * by this caller. Expired leases are deleted by {@link sweepLeases} (the tick calls it now and then).
 */
import type { Clock } from "../ports/clock.ts";
import type { StartLease } from "../ports/lease.ts";
import { TransientError } from "../shared/errors.ts";
import type { PrefectApi } from "./api.ts";
import type { Json } from "./types.ts";

/** The tag every lease variable carries (what the sweep looks for). */
export const LEASE_TAG = "pushpool-lease";
/** Generations tried in one acquire before giving up (each needs a whole expired lease before it). */
const MAX_GENERATIONS = 20;

type LeaseApi = Pick<
  PrefectApi,
  "createVariable" | "readVariable" | "deleteVariable" | "filterVariablesByTag"
>;

export class VariableLease implements StartLease {
  constructor(
    private readonly api: LeaseApi,
    private readonly clock: Clock,
    private readonly holder: () => string = () => crypto.randomUUID(),
  ) {}

  async acquire(key: string, ttlMs: number): Promise<boolean> {
    const holder = this.holder();
    for (let generation = 0; generation < MAX_GENERATIONS; generation++) {
      const name = leaseName(key, generation);
      const now = this.clock.now().getTime();
      const value = { holder, expires_at: new Date(now + ttlMs).toISOString() };
      if (await this.api.createVariable(name, value, [LEASE_TAG])) return true;
      const held = leaseOf(await this.api.readVariable(name));
      if (held === undefined) {
        // swept between the create and the read, or not ours to judge: try this generation again
        if (await this.api.createVariable(name, value, [LEASE_TAG])) return true;
        continue;
      }
      if (held.holder === holder) return true;
      if (held.expiresAt > now) return false;
    }
    throw new TransientError(`lease '${key}': ${MAX_GENERATIONS} expired generations in a row`);
  }
}

/** The variable name of a lease generation (Prefect allows letters, digits, '-' and '_'). */
export function leaseName(key: string, generation: number): string {
  return `pushpool-lease-${key}-${generation}`;
}

/** Deletes the expired leases (at most `limit` read per call); returns how many it deleted. */
export async function sweepLeases(api: LeaseApi, clock: Clock, limit = 200): Promise<number> {
  const now = clock.now().getTime();
  const expired = (await api.filterVariablesByTag(LEASE_TAG, limit)).filter(
    (v) => (leaseOf(v.value)?.expiresAt ?? 0) <= now,
  );
  await Promise.all(expired.map((v) => api.deleteVariable(v.name)));
  return expired.length;
}

function leaseOf(value: Json | undefined): { holder: string; expiresAt: number } | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const { holder, expires_at: expiresAt } = value as Record<string, Json>;
  if (typeof holder !== "string" || typeof expiresAt !== "string") return undefined;
  const at = Date.parse(expiresAt);
  return Number.isNaN(at) ? undefined : { holder, expiresAt: at };
}
