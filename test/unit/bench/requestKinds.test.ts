import { describe, expect, it } from "vitest";
import { kindOf, requestsPerRun, requestsTable } from "../../../bench/requestKinds.ts";

const A = "11111111-1111-4111-8111-111111111111";
const B = "22222222-2222-4222-8222-222222222222";
const DEP = "33333333-3333-4333-8333-333333333333";

describe("requests per run", () => {
  it("counts a run's own requests as caused and the tick's as periodic", () => {
    const trips = [
      { method: "GET", path: `/flow_runs/${A}`, key: `${A}#1` },
      { method: "GET", path: `/deployments/${DEP}`, key: `${A}#1` },
      { method: "POST", path: `/flow_runs/${A}/set_state` },
      { method: "PATCH", path: `/flow_runs/${B}?x=1` },
      { method: "POST", path: "/work_pools/p/get_scheduled_flow_runs" },
      { method: "POST", path: "/flow_runs/filter" },
    ];
    const r = requestsPerRun(trips, [A, B], 2);
    expect(r.caused).toBe(2);
    expect(r.all).toBe(3);
    expect(r.causedByKind).toEqual({
      "GET /flow_runs/{id}": 0.5,
      "GET /deployments/{id}": 0.5,
      "POST /flow_runs/{id}/set_state": 0.5,
      "PATCH /flow_runs/{id}": 0.5,
    });
    expect(r.periodicByKind).toEqual({
      "POST /work_pools/p/get_scheduled_flow_runs": 0.5,
      "POST /flow_runs/filter": 0.5,
    });
  });

  it("a request naming another side's run is periodic; per-run reads count as caused", () => {
    const other = "44444444-4444-4444-8444-444444444444";
    const trips = [
      { method: "GET", path: `/flow_runs/${other}` },
      { method: "GET", path: `/deployments/${DEP}` },
    ];
    const r = requestsPerRun(trips, [A], 1, ["GET /deployments/{id}"]);
    expect(r.causedByKind).toEqual({ "GET /deployments/{id}": 1 });
    expect(r.periodicByKind).toEqual({ "GET /flow_runs/{id}": 1 });
  });

  it("no runs gives no made-up figure", () => {
    expect(requestsPerRun([], [], 0).caused).toBeNaN();
    expect(kindOf({ method: "GET", path: `/flows/${A}?a=b` })).toBe("GET /flows/{id}");
  });

  it("the table lists caused kinds, then periodic ones, for each side", () => {
    const r = requestsPerRun([{ method: "GET", path: `/flow_runs/${A}`, key: "k" }], [A], 1);
    const table = requestsTable([{ name: "pushpool", result: r }]);
    expect(table).toContain("| **caused by a run (goal ≤ 8)** | **1.00** |");
    expect(table).toContain("| GET /flow_runs/{id} | 1.00 |");
    expect(table).toContain("| all requests per run, periodic included | 1.00 |");
  });
});
