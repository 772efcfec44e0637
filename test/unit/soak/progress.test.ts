/**
 * The soak's stuck/slow/settled rule (test/soak/progress.ts) on hand-made progress histories: a run
 * is judged by its own last progress, counted from no earlier than the end of faults, never by a
 * wall-clock deadline.
 */
import { describe, expect, it } from "vitest";
import { classify, ProgressLog } from "../../soak/progress.ts";

const S = 1000;
const FAULTS_END = 100 * S;
const BOUND = 160 * S;

/** Classifies a run whose progress notes are at `times` (seconds), judged at `now` (seconds). */
function judge(times: number[], now: number, finished = false) {
  const log = new ProgressLog();
  for (const t of times) log.note("run", `step at ${t}`, t * S);
  return classify({
    finished,
    lastProgressAt: log.lastAt("run"),
    faultsEndedAt: FAULTS_END,
    now: now * S,
    stuckAfterMs: BOUND,
  });
}

describe("soak progress verdict", () => {
  it("a finished run is settled, however long ago it last moved", () => {
    expect(judge([1, 2], 10_000, true)).toBe("settled");
  });

  it("an unfinished run still moving within the bound is slow, even long after faults ended", () => {
    // Created at 5 s, claimed, resubmitted… last step at 500 s; judged at 600 s: 100 s < 160 s.
    expect(judge([5, 40, 220, 500], 600)).toBe("slow");
  });

  it("an unfinished run with no progress for the bound after its last step is stuck", () => {
    expect(judge([5, 40, 220, 500], 660)).toBe("stuck");
    expect(judge([5, 40, 220, 500], 659.999)).toBe("slow");
  });

  it("a run last moved during faults is given the whole bound from the end of faults", () => {
    // Last step at 30 s (faults until 100 s): not stuck before 260 s, stuck from then on.
    expect(judge([10, 30], 259)).toBe("slow");
    expect(judge([10, 30], 260)).toBe("stuck");
  });

  it("while faults go on, nothing is stuck", () => {
    const verdict = classify({
      finished: false,
      lastProgressAt: 0,
      faultsEndedAt: Number.POSITIVE_INFINITY,
      now: 10_000 * S,
      stuckAfterMs: BOUND,
    });
    expect(verdict).toBe("slow");
  });

  it("a run never seen to progress is judged from the end of faults", () => {
    expect(judge([], 200)).toBe("slow");
    expect(judge([], 261)).toBe("stuck");
  });

  it("a run waiting for a message sent for it is slow, not stuck, however long it waits", () => {
    const log = new ProgressLog();
    log.sent("r", "dispatch message sent", 120 * S);
    const judged = (now: number) =>
      classify({
        finished: false,
        lastProgressAt: log.lastAt("r"),
        faultsEndedAt: FAULTS_END,
        now: now * S,
        stuckAfterMs: BOUND,
        waiting: log.waiting("r"),
      });
    expect(judged(1_000)).toBe("slow");
    // A redelivery does not settle the account; the first delivery does, and the clock runs again.
    log.delivered("r", false, "redelivered", 130 * S);
    expect(log.waiting("r")).toBe(true);
    log.handled("r");
    log.delivered("r", true, "delivered", 300 * S);
    // Delivered into an invocation that is still working through its batch: still waiting.
    expect(log.waiting("r")).toBe(true);
    expect(judged(1_000)).toBe("slow");
    log.handled("r");
    expect(log.waiting("r")).toBe(false);
    expect(judged(459)).toBe("slow");
    expect(judged(460)).toBe("stuck");
  });

  it("notes arriving out of order: the latest time counts, and the history reads in time order", () => {
    const log = new ProgressLog(3);
    log.note("r", "state Pending", 50 * S);
    log.note("r", "ECS event PROVISIONING", 40 * S);
    log.note("r", "set_state RUNNING", 70 * S);
    log.note("r", "flow completed", 60 * S);
    expect(log.lastAt("r")).toBe(70 * S);
    expect(log.history("r").map((n) => n.what)).toEqual([
      "ECS event PROVISIONING",
      "flow completed",
      "set_state RUNNING",
    ]);
    expect(log.describe("r", 0)[0]).toBe("  +40.0 s ECS event PROVISIONING");
  });

  it("a note without a valid time is not progress", () => {
    const log = new ProgressLog();
    log.note("r", "state with no timestamp", Number.NaN);
    expect(log.lastAt("r")).toBeUndefined();
  });
});
