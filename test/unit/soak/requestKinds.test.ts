/** The soak's Prefect request kinds (test/soak/requestKinds.ts) on the paths pushpool's client sends. */
import { describe, expect, it } from "vitest";
import { RequestKinds, requestKind, retriesOf } from "../../soak/requestKinds.ts";

const ID = "0b6a4f53-9a52-4b1e-8a64-0f3f2f8a0c11";

describe("soak request kinds", () => {
  it.each([
    ["GET", `/flow_runs/${ID}`, undefined, "read run"],
    ["POST", "/flow_runs/filter", "{}", "filter runs"],
    ["PATCH", `/flow_runs/${ID}`, '{"infrastructure_pid":"x"}', "PATCH pid"],
    ["PATCH", `/flow_runs/${ID}/labels`, "{}", "PATCH labels"],
    [
      "POST",
      `/flow_runs/${ID}/set_state`,
      '{"state":{"type":"PENDING","name":"Pending"}}',
      "set_state PENDING",
    ],
    [
      "POST",
      `/flow_runs/${ID}/set_state`,
      '{"state":{"type":"CRASHED","name":"Crashed"}}',
      "set_state CRASHED",
    ],
    [
      "POST",
      `/flow_runs/${ID}/set_state`,
      '{"state":{"type":"SCHEDULED","name":"AwaitingRetry"}}',
      "set_state SCHEDULED/AwaitingRetry",
    ],
    ["POST", `/flow_runs/${ID}/set_state`, "not json", "set_state ?"],
    ["GET", `/flow_run_states/?flow_run_id=${ID}`, undefined, "read run states"],
    ["GET", `/deployments/${ID}`, undefined, "read deployment"],
    ["GET", "/deployments/name/soak/pp-soak-d1", undefined, "read deployment"],
    ["POST", `/deployments/${ID}/create_flow_run`, "{}", "create run"],
    ["GET", `/flows/${ID}`, undefined, "read flow"],
    ["GET", "/work_pools/pp-soak-pool", undefined, "read pool"],
    ["POST", "/work_pools/pp-soak-pool/get_scheduled_flow_runs", "{}", "scheduled runs (tick)"],
    ["POST", "/work_pools/pp-soak-pool/workers/heartbeat", "{}", "heartbeat"],
    ["POST", "/logs/", "[]", "logs"],
    ["GET", "/csrf-token?client=x", undefined, "csrf token"],
    ["DELETE", `/flow_runs/${ID}/x`, undefined, "DELETE /flow_runs/:id/x"],
  ])("%s %s → %s", (method, path, body, kind) => {
    expect(requestKind(method, path, body)).toBe(kind);
  });

  it("counts each request under its kind", () => {
    const kinds = new RequestKinds();
    kinds.add("GET", `/flow_runs/${ID}`);
    kinds.add("GET", `/flow_runs/${ID}`);
    kinds.add("POST", "/logs/", "[]");
    expect(Object.fromEntries(kinds.counts)).toEqual({ "read run": 2, logs: 1 });
    expect(kinds.total()).toBe(3);
  });

  it("reads retries from the client's log lines, by kind and cause", () => {
    const line = (o: object) =>
      JSON.stringify({ level: "WARN", message: "Prefect API request failed, retrying", ...o });
    const retries = retriesOf([
      line({ method: "POST", path: `/flow_runs/${ID}/set_state`, status: 503 }),
      line({
        method: "GET",
        path: `/flow_runs/${ID}`,
        error: `Prefect API GET /flow_runs/${ID}: network error: socket hang up`,
      }),
      line({ method: "GET", path: `/flow_runs/${ID}`, status: 503 }),
      JSON.stringify({ level: "INFO", message: "flow run submitted" }),
      "not json",
    ]);
    expect(retries.total).toBe(3);
    expect(Object.fromEntries(retries.byKind)).toEqual({ set_state: 1, "read run": 2 });
    expect(Object.fromEntries(retries.byCause)).toEqual({
      "status 503": 2,
      "network error: socket hang up": 1,
    });
  });
});
