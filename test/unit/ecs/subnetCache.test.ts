import { describe, expect, it } from "vitest";
import type { EcsApi } from "../../../core/backends/ecs/port.ts";
import { rememberedSubnets, SUBNET_TTL_MS } from "../../../core/backends/ecs/subnetCache.ts";

const api = () => ({}) as EcsApi;

function counting(answers: (string[] | Error)[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    discover: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer as string[];
    },
  };
}

describe("remembered VPC subnets", () => {
  it("asks EC2 once per api and VPC within the TTL, again after it", async () => {
    let now = 0;
    const a = api();
    const d = counting([["subnet-1"], ["subnet-1", "subnet-2"]]);
    expect(await rememberedSubnets(a, null, d.discover, () => now)).toEqual(["subnet-1"]);
    now = SUBNET_TTL_MS - 1;
    expect(await rememberedSubnets(a, null, d.discover, () => now)).toEqual(["subnet-1"]);
    expect(d.calls).toBe(1);
    now = SUBNET_TTL_MS + 1;
    expect(await rememberedSubnets(a, null, d.discover, () => now)).toEqual(["subnet-1", "subnet-2"]);
    expect(d.calls).toBe(2);
  });

  it("keeps VPCs and AWS ports (credentials) apart", async () => {
    const a = api();
    const b = api();
    const d = counting([["s"]]);
    await rememberedSubnets(a, null, d.discover, () => 0);
    await rememberedSubnets(a, "vpc-1", d.discover, () => 0);
    await rememberedSubnets(b, null, d.discover, () => 0);
    expect(d.calls).toBe(3);
  });

  it("shares one request between concurrent look-ups", async () => {
    const a = api();
    const d = counting([["s"]]);
    const all = await Promise.all(Array.from({ length: 10 }, () => rememberedSubnets(a, null, d.discover)));
    expect(all.every((s) => s[0] === "s")).toBe(true);
    expect(d.calls).toBe(1);
  });

  it("never remembers a failure", async () => {
    const a = api();
    const d = counting([new Error("throttled"), ["s"]]);
    await expect(rememberedSubnets(a, null, d.discover, () => 0)).rejects.toThrow("throttled");
    expect(await rememberedSubnets(a, null, d.discover, () => 0)).toEqual(["s"]);
    expect(d.calls).toBe(2);
  });
});
