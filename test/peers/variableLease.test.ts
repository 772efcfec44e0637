/**
 * The start lease on the real Prefect server: Prefect's variable create is the compare-and-set the
 * lease relies on (one 201, the rest 409), and the sweep finds leases by their tag and deletes
 * only expired ones.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { PrefectClient } from "../../core/prefect/client.ts";
import { LEASE_TAG, leaseName, sweepLeases, VariableLease } from "../../core/prefect/variableLease.ts";
import { FakeClock } from "../unit/fakes/ports.ts";

const client = new PrefectClient({ apiUrl: inject("prefectApiUrl") });

describe("VariableLease on the Prefect server", () => {
  it("of five concurrent acquires of one key exactly one holds it", async () => {
    const key = `pp-${randomUUID().replaceAll("-", "")}`;
    const lease = new VariableLease(client, new FakeClock(Date.now()));
    const taken = await Promise.all(Array.from({ length: 5 }, () => lease.acquire(key, 60_000)));
    expect(taken.filter(Boolean)).toHaveLength(1);
    const value = (await client.readVariable(leaseName(key, 0))) as Record<string, unknown>;
    expect(value).toMatchObject({ holder: expect.any(String), expires_at: expect.any(String) });
  });

  it("an expired lease is taken over, and the sweep deletes expired leases only", async () => {
    const clock = new FakeClock(Date.now());
    const lease = new VariableLease(client, clock);
    const [old, live] = [randomUUID(), randomUUID()].map((u) => `pp-${u.replaceAll("-", "")}`);
    expect(await lease.acquire(old as string, 1_000)).toBe(true);
    clock.t += 2_000;
    expect(await lease.acquire(old as string, 1_000)).toBe(true); // generation 1
    expect(await lease.acquire(live as string, 600_000)).toBe(true);
    clock.t += 2_000;
    const tagged = (await client.filterVariablesByTag(LEASE_TAG, 200)).map((v) => v.name);
    expect(tagged).toEqual(
      expect.arrayContaining([leaseName(old as string, 0), leaseName(old as string, 1)]),
    );
    await sweepLeases(client, clock);
    expect(await client.readVariable(leaseName(old as string, 0))).toBeUndefined();
    expect(await client.readVariable(leaseName(old as string, 1))).toBeUndefined();
    expect(await client.readVariable(leaseName(live as string, 0))).toBeDefined();
  });
});
