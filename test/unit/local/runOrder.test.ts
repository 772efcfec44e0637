import { describe, expect, it } from "vitest";
import { RunOrder } from "../../../functions/local/runOrder.ts";

describe("RunOrder", () => {
  it("reports a process exit only after its run's dispatch finished", async () => {
    const order = new RunOrder();
    const events: string[] = [];
    let finish!: () => void;
    const dispatch = new Promise<void>((r) => (finish = r)).then(() => void events.push("submitted"));
    void order.dispatching("run-1", dispatch);
    const reported = order.afterDispatch("run-1", async () => void events.push("crashed"));
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual([]);
    finish();
    await reported;
    expect(events).toEqual(["submitted", "crashed"]);
  });

  it("also after a dispatch that failed; at once when none is in flight", async () => {
    const order = new RunOrder();
    const events: string[] = [];
    const failing = order.dispatching("run-2", Promise.reject(new Error("503")));
    await expect(failing).rejects.toThrow("503");
    await order.afterDispatch("run-2", async () => void events.push("reported"));
    await order.afterDispatch("run-3", async () => void events.push("other"));
    expect(events).toEqual(["reported", "other"]);
  });

  it("finds the run a queue body dispatches", () => {
    const id = "0190a2b4-0000-7000-8000-000000000001";
    expect(RunOrder.dispatchedRun(JSON.stringify({ kind: "dispatch", flowRunId: id }))).toBe(id);
    expect(RunOrder.dispatchedRun(JSON.stringify({ kind: "trigger", deployment: "a/b" }))).toBeUndefined();
    expect(RunOrder.dispatchedRun("not json")).toBeUndefined();
  });
});
