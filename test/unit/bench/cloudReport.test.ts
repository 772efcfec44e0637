import { describe, expect, it } from "vitest";
import type { Instant } from "../../../bench/awsReport.ts";
import { sideResult } from "../../../bench/awsReport.ts";
import {
  asCalls,
  cloudGoals,
  cloudMarkdown,
  cloudSide,
  type Submission,
} from "../../../bench/cloudReport.ts";
import type { Side } from "../../../bench/plan.ts";

const OPEN = 1_000_000;

/** One instant of `ids`, each submitted `lateMs[i]` after its window opened. */
function side(s: Side, ids: string[], lateMs: number[], cpuSeconds: number, extra: Submission[] = []) {
  const instant: Instant = { side: s, index: 0, open: OPEN, scheduled: OPEN + 10_000, runIds: ids };
  const subs = [...ids.map((flowRunId, i) => ({ flowRunId, at: OPEN + (lateMs[i] ?? 0) })), ...extra];
  const r = sideResult({
    side: s,
    leadSeconds: 10,
    instants: [instant],
    calls: asCalls(subs),
    cpuIn: () => cpuSeconds,
    period: { from: OPEN - 1500, to: OPEN + 60_000 },
    registeredRevisions: [],
    distinctSpecs: 0,
    cpuNote: "",
  });
  return cloudSide(r, { RunJob: subs.length });
}

describe("the cloud benches' results", () => {
  it("measures lateness from each run's first submission and keeps no ECS-only field", () => {
    const pp = side("pushpool", ["a", "b"], [200, 400], 0.1);
    expect(pp.lateness.max).toBeCloseTo(0.4);
    expect(pp.dispatched).toBe(2);
    expect(pp.runsPerCpuSecond).toBeCloseTo(20);
    expect("registrations" in pp).toBe(false);
    expect(pp.cloudCalls).toEqual({ RunJob: 2 });
  });

  it("meets every goal when pushpool is on time, 5× better and 5× cheaper", () => {
    const pp = side("pushpool", ["a", "b"], [200, 400], 0.1);
    const wk = side("worker", ["c", "d"], [10_000, 20_000], 1);
    const goals = cloudGoals(pp, wk);
    expect(goals.map((g) => g.met)).toEqual([true, true, true, true]);
    expect(
      cloudMarkdown(pp, wk, goals, { submit: "RunJob", api: "Cloud Run", pushpool: "p", worker: "w" }),
    ).toContain("| every run submitted exactly once | 2 + 2 |");
  });

  it("misses the goals a late pushpool, a close CPU ratio or a duplicate submission miss", () => {
    const pp = side("pushpool", ["a", "b"], [200, 3000], 0.5, [{ flowRunId: "a", at: OPEN + 900 }]);
    const wk = side("worker", ["c", "d"], [10_000, 12_000], 1);
    const goals = cloudGoals(pp, wk);
    expect(pp.runsWithMoreThanOneRunTask).toBe(1);
    expect(goals.map((g) => g.met)).toEqual([false, false, false, false]);
  });
});
