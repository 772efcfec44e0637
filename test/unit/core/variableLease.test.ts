import { describe, expect, it } from "vitest";
import { LEASE_TAG, leaseName, sweepLeases, VariableLease } from "../../../core/prefect/variableLease.ts";
import { TransientError } from "../../../core/shared/errors.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { FakeClock } from "../fakes/ports.ts";

describe("VariableLease", () => {
  it("one of several concurrent callers holds a key; other keys are independent", async () => {
    const api = new FakePrefect();
    const lease = new VariableLease(api, new FakeClock());
    const taken = await Promise.all(Array.from({ length: 5 }, () => lease.acquire("k", 60_000)));
    expect(taken.filter(Boolean)).toHaveLength(1);
    expect(await lease.acquire("other", 60_000)).toBe(true);
    expect(api.variables.get(leaseName("k", 0))?.tags).toEqual([LEASE_TAG]);
  });

  it("an expired lease is taken over by one caller, in the next generation", async () => {
    const api = new FakePrefect();
    const clock = new FakeClock();
    const lease = new VariableLease(api, clock);
    expect(await lease.acquire("k", 60_000)).toBe(true);
    clock.t += 59_000;
    expect(await lease.acquire("k", 60_000)).toBe(false);
    clock.t += 2_000;
    const taken = await Promise.all(Array.from({ length: 3 }, () => lease.acquire("k", 60_000)));
    expect(taken.filter(Boolean)).toHaveLength(1);
    expect(api.variables.has(leaseName("k", 1))).toBe(true);
    expect(api.variables.has(leaseName("k", 2))).toBe(false);
  });

  it("a create the server applied but answered 409 on a retry still reads as held by its caller", async () => {
    const api = new FakePrefect();
    const create = api.createVariable.bind(api);
    api.createVariable = async (name, value, tags) => {
      await create(name, value, tags); // applied; the answer was lost and the retry conflicts
      return false;
    };
    const lease = new VariableLease(api, new FakeClock(), () => "me");
    expect(await lease.acquire("k", 60_000)).toBe(true);
  });

  it("gives up with a TransientError when every generation is expired and taken (a broken store)", async () => {
    const api = new FakePrefect();
    api.createVariable = async () => false;
    api.readVariable = async () => ({ holder: "someone", expires_at: "2000-01-01T00:00:00Z" });
    const lease = new VariableLease(api, new FakeClock());
    await expect(lease.acquire("k", 60_000)).rejects.toBeInstanceOf(TransientError);
  });
});

describe("sweepLeases", () => {
  it("deletes expired leases only, and no other variables", async () => {
    const api = new FakePrefect();
    const clock = new FakeClock();
    const lease = new VariableLease(api, clock);
    await lease.acquire("old", 10_000);
    clock.t += 20_000;
    await lease.acquire("live", 60_000);
    await api.createVariable("user_setting", { expires_at: "2000-01-01T00:00:00Z" }, []);
    expect(await sweepLeases(api, clock)).toBe(1);
    expect([...api.variables.keys()].sort()).toEqual([leaseName("live", 0), "user_setting"]);
  });
});
