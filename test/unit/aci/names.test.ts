/** Names and pids as Prefect's ACI worker makes them (tests/test_aci_worker.py's naming cases). */
import { describe, expect, it } from "vitest";
import {
  claimGroupName,
  deploymentName,
  formatPid,
  parsePid,
  prefectGroupName,
  slugifyName,
} from "../../../core/backends/azure-container-instance/names.ts";
import { submitToken } from "../../../core/backends/token.ts";

const RUN = "9f1c2e3a-0001-4000-8000-000000000000";

describe("ACI names", () => {
  it.each([
    ["etl", "etl"],
    ["My ETL flow", "my-etl-flow"],
    ["  spaced   out  ", "spaced-out"],
    ["Crème brûlée!", "creme-brulee"],
    ["a-very-long-flow-name-that-goes-on-and-on", "a-very-long-flow-na"],
    [`${"x".repeat(18)} y`, "xxxxxxxxxxxxxxxxxx"],
    ["don't", "don-t"],
  ])("slugify(%j, 19) = %j", (name, slug) => {
    expect(slugifyName(name, 19)).toBe(slug);
  });

  it("group = slug-<flow run id>, deployment = prefect-<group>: ≤ 64 characters, [A-Za-z0-9-_] only", () => {
    for (const flow of ["etl", "My ETL flow", "a".repeat(200), "weird / name * with ? stuff"]) {
      const group = prefectGroupName(flow, RUN);
      expect(group.endsWith(`-${RUN}`)).toBe(true);
      const deployment = deploymentName(group);
      expect(deployment.startsWith("prefect-")).toBe(true);
      expect(deployment.length).toBeLessThanOrEqual(64);
      expect(deployment).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it("a later claim's group: its token in the name, distinct per token, still ≤ 56 characters", () => {
    const a = claimGroupName("My ETL flow", RUN, submitToken(RUN, "claim-a"));
    const b = claimGroupName("My ETL flow", RUN, submitToken(RUN, "claim-b"));
    expect(a).not.toBe(b);
    expect(a).not.toBe(prefectGroupName("My ETL flow", RUN));
    for (const name of [a, b, claimGroupName("!!!", RUN, submitToken(RUN, "c"))]) {
      expect(name.length).toBeLessThanOrEqual(56);
      expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
      expect(name.endsWith(RUN)).toBe(true);
    }
  });

  it("pid = <flow_run_id>:<group>; anything else does not parse", () => {
    const pid = formatPid(RUN, `etl-${RUN}`);
    expect(pid).toBe(`${RUN}:etl-${RUN}`);
    expect(parsePid(pid)).toEqual({ flowRunId: RUN, group: `etl-${RUN}` });
    for (const bad of ["", "garbage", "a:b:c", `${RUN}:`, `:etl`, `${RUN}:UPPER`])
      expect(parsePid(bad), bad).toBeNull();
  });
});
