import { describe, expect, it } from "vitest";
import { perInstance } from "../../../core/runtime/instance.ts";

describe("perInstance: one runtime per function instance", () => {
  it("builds and checks once, and every invocation after shares it", async () => {
    let builds = 0;
    let checks = 0;
    const instance = perInstance(
      () => ({ n: ++builds }),
      async (rt) => {
        checks++;
        return rt;
      },
    );
    const [a, b] = await Promise.all([instance.get(), instance.get()]);
    expect(a).toBe(b);
    expect(await instance.get()).toBe(a);
    expect({ builds, checks }).toEqual({ builds: 1, checks: 1 });
  });

  it("does not keep a failed build or check: the next invocation tries again", async () => {
    let attempt = 0;
    const instance = perInstance(
      () => ({ attempt: ++attempt }),
      async (rt) => {
        if (rt.attempt === 1) throw new Error("Prefect unreachable");
        return rt;
      },
    );
    await expect(instance.get()).rejects.toThrow("Prefect unreachable");
    expect(await instance.get()).toEqual({ attempt: 2 });
    instance.reset();
    expect(await instance.get()).toEqual({ attempt: 3 });
  });

  it("a build that throws fails that invocation only", async () => {
    let calls = 0;
    const instance = perInstance(
      () => {
        calls++;
        if (calls === 1) throw new Error("PREFECT_API_URL: Invalid URL");
        return { ok: true };
      },
      async (rt) => rt,
    );
    await expect(instance.get()).rejects.toThrow("PREFECT_API_URL");
    expect(await instance.get()).toEqual({ ok: true });
  });
});
