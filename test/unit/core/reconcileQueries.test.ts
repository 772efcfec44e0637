/** What reconcile asks Prefect each tick: one in-flight query, more only when it is needed. */
import { describe, expect, it } from "vitest";
import type { FlowRunFilter } from "../../../core/prefect/api.ts";
import { LEGACY_CANCELLING_EVERY_TICKS, reconcile } from "../../../core/runs/reconcile.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

function recording() {
  const api = new FakePrefect();
  api.addPool("p");
  const filters: FlowRunFilter[] = [];
  const filter = api.filterFlowRuns.bind(api);
  api.filterFlowRuns = async (f: FlowRunFilter) => {
    filters.push(f);
    return await filter(f);
  };
  return { api, filters, ...makeDeps(api) };
}

const describeFilter = (f: FlowRunFilter) =>
  `${f.stateTypes?.join("|")}${f.stateNames ? `:${f.stateNames}` : ""}`;

describe("reconcile's queries", () => {
  it("one in-flight query a tick (cancellations included); the older cancellation form every few ticks", async () => {
    const { filters, deps } = recording();
    for (let i = 0; i <= LEGACY_CANCELLING_EVERY_TICKS; i++) await reconcile(["p"], deps);
    const kinds = filters.map(describeFilter);
    expect(kinds.filter((k) => k === "PENDING|RUNNING|CANCELLING")).toHaveLength(
      LEGACY_CANCELLING_EVERY_TICKS + 1,
    );
    expect(kinds.filter((k) => k === "CANCELLED:Cancelling")).toHaveLength(2);
    expect(kinds.filter((k) => k === "CANCELLING")).toHaveLength(0);
  });

  it("a full page of runs in flight adds a query for the cancellations alone", async () => {
    const { api, filters, deps } = recording();
    const page = Array.from({ length: 200 }, () => ({ state_type: "RUNNING", state_name: "Running" }));
    const filter = api.filterFlowRuns;
    api.filterFlowRuns = async (f: FlowRunFilter) => {
      const found = await filter(f);
      return f.stateTypes?.length === 3 ? (page as never) : found;
    };
    await reconcile(["p"], deps).catch(() => []);
    expect(filters.map(describeFilter)).toContain("CANCELLING");
  });
});
