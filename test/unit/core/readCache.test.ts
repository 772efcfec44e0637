import { describe, expect, it } from "vitest";
import { withReadCache } from "../../../core/prefect/readCache.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { FakeClock } from "../fakes/ports.ts";

describe("withReadCache", () => {
  it("reuses flow and pool reads within their TTL, single-flight, and never caches deployments or runs", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const run = api.addRun(dep);
    const clock = new FakeClock();
    const cached = withReadCache(api, { clock, poolTtlMs: 10_000 });
    await Promise.all([
      cached.readFlow(dep.flow_id),
      cached.readFlow(dep.flow_id),
      cached.readWorkPool("pool"),
    ]);
    await cached.readWorkPool("pool");
    await cached.readDeployment(dep.id);
    await cached.readDeployment(dep.id);
    await cached.readFlowRun(run.id);
    await cached.readFlowRun(run.id);
    const count = (prefix: string) => api.calls.filter((c) => c.startsWith(prefix)).length;
    expect(count("readFlow ")).toBe(1);
    expect(count("readWorkPool")).toBe(1);
    expect(count("readDeployment ")).toBe(2);
    expect(count("readFlowRun")).toBe(2);
    clock.t += 10_001;
    await cached.readWorkPool("pool");
    expect(count("readWorkPool")).toBe(2);
  });

  it("shares a deployment read in flight between concurrent callers, and only while it is in flight", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const cached = withReadCache(api, { clock: new FakeClock() });
    const burst = await Promise.all(Array.from({ length: 10 }, () => cached.readDeployment(dep.id)));
    expect(burst.every((d) => d?.id === dep.id)).toBe(true);
    const count = () => api.calls.filter((c) => c.startsWith("readDeployment ")).length;
    expect(count()).toBe(1);
    await cached.readDeployment(dep.id);
    expect(count()).toBe(2);
  });

  it("does not remember a missing pool, and forgets a pool whose template it updates", async () => {
    const api = new FakePrefect();
    const cached = withReadCache(api, { clock: new FakeClock() });
    expect(await cached.readWorkPool("later")).toBeNull();
    api.addPool("later");
    expect(await cached.readWorkPool("later")).not.toBeNull();
    await cached.updateWorkPoolTemplate("later", { job_configuration: {}, variables: {} });
    expect((await cached.readWorkPool("later"))?.base_job_template).toEqual({
      job_configuration: {},
      variables: {},
    });
  });
});
